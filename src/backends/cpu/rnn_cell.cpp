// CPU gate kernels of the recurrent layers (core/kernels/rnn.h): one pass over a time step's
// (B, k*H) gates per call, rows in parallel. The per-element maths is core/kernel_math.h's
// (sigmoid, tanh) and core/kernel_formulas.h's (cell update, derivatives at the outputs).
#include <algorithm>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernel_math.h"
#include "core/kernels/rnn.h"

namespace ember::cpu {
namespace {

/// Row r of a (B, k*H) operand with unit inner stride.
template <class T>
T* row(const TensorArg& a, int64_t r) {
  return ptr<T>(a) + r * a.strides[0];
}

void check_rows(const char* kernel, std::initializer_list<const TensorArg*> ts, DType dt, int64_t B) {
  for (const TensorArg* t : ts)
    EMBER_CHECK(t->dim() == 2 && t->sizes[0] == B && (t->sizes[1] <= 1 || t->strides[1] == 1) && t->dtype == dt,
                kernel, " kernel: operands must be (B, k*H) rows of one dtype with unit inner stride");
}

/// Rows per parallel chunk: about 4096 hidden units.
int64_t row_grain(int64_t H) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, H)); }

template <class T>
void lstm_forward_rows(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& h,
                       int64_t b0, int64_t b1) {
  const int64_t H = c.sizes[1];
  for (int64_t b = b0; b < b1; ++b) {
    T* g = row<T>(gates, b);
    const T* cp = row<const T>(c_prev, b);
    T* cr = row<T>(c, b);
    T* hr = row<T>(h, b);
    for (int64_t j = 0; j < H; ++j) {
      const T i = math::sigmoid(g[j]), f = math::sigmoid(g[H + j]), gg = math::m_tanh(g[2 * H + j]),
              o = math::sigmoid(g[3 * H + j]);
      g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
      const T cn = EMBER_LSTM_CELL(i, f, gg, cp[j]);
      cr[j] = cn;
      hr[j] = o * math::m_tanh(cn);
    }
  }
}

template <class T>
void lstm_backward_rows(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& dh_out,
                        const TensorArg& dh, const TensorArg& dc, const TensorArg& dgates, int64_t b0, int64_t b1) {
  const int64_t H = c.sizes[1];
  for (int64_t b = b0; b < b1; ++b) {
    const T* g = row<const T>(gates, b);
    const T* cp = row<const T>(c_prev, b);
    const T* cr = row<const T>(c, b);
    const T* go = row<const T>(dh_out, b);
    const T* gr = row<const T>(dh, b);
    T* dcr = row<T>(dc, b);
    T* dg = row<T>(dgates, b);
    for (int64_t j = 0; j < H; ++j) {
      const T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
      const T tc = math::m_tanh(cr[j]);
      const T dht = go[j] + gr[j];
      const T dct = dcr[j] + dht * o * EMBER_TANH_GRAD_AT(T, tc);
      dg[j] = dct * gg * EMBER_SIGMOID_GRAD_AT(T, i);
      dg[H + j] = dct * cp[j] * EMBER_SIGMOID_GRAD_AT(T, f);
      dg[2 * H + j] = dct * i * EMBER_TANH_GRAD_AT(T, gg);
      dg[3 * H + j] = dht * tc * EMBER_SIGMOID_GRAD_AT(T, o);
      dcr[j] = dct * f;
    }
  }
}

template <class T>
void gru_forward_rows(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& h,
                      int64_t b0, int64_t b1) {
  const int64_t H = h.sizes[1];
  for (int64_t b = b0; b < b1; ++b) {
    T* a = row<T>(gi, b);
    const T* q = row<const T>(gh, b);
    const T* hp = row<const T>(h_prev, b);
    T* hr = row<T>(h, b);
    for (int64_t j = 0; j < H; ++j) {
      const T r = math::sigmoid(a[j] + q[j]), z = math::sigmoid(a[H + j] + q[H + j]);
      const T n = math::m_tanh(a[2 * H + j] + r * q[2 * H + j]);
      a[j] = r, a[H + j] = z, a[2 * H + j] = n;
      hr[j] = EMBER_GRU_HIDDEN(z, n, hp[j]);
    }
  }
}

template <class T>
void gru_backward_rows(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& dh_out,
                       const TensorArg& dh, const TensorArg& dgi, const TensorArg& dgh, int64_t b0, int64_t b1) {
  const int64_t H = h_prev.sizes[1];
  for (int64_t b = b0; b < b1; ++b) {
    const T* a = row<const T>(gi, b);
    const T* q = row<const T>(gh, b);
    const T* hp = row<const T>(h_prev, b);
    const T* go = row<const T>(dh_out, b);
    T* d = row<T>(dh, b);
    T* di = row<T>(dgi, b);
    T* dq = row<T>(dgh, b);
    for (int64_t j = 0; j < H; ++j) {
      const T r = a[j], z = a[H + j], n = a[2 * H + j];
      const T dht = go[j] + d[j];
      const T dn = dht * (T(1) - z) * EMBER_TANH_GRAD_AT(T, n);
      const T dz = dht * (hp[j] - n) * EMBER_SIGMOID_GRAD_AT(T, z);
      const T dr = dn * q[2 * H + j] * EMBER_SIGMOID_GRAD_AT(T, r);
      di[j] = dr, di[H + j] = dz, di[2 * H + j] = dn;
      dq[j] = dr, dq[H + j] = dz, dq[2 * H + j] = dn * r;
      d[j] = dht * z;
    }
  }
}

#define EMBER_RNN_DISPATCH(dt, name, CALL)                                                   \
  switch (dt) {                                                                              \
    case DType::Float32: { using scalar_t = float; CALL; break; }                            \
    case DType::Float64: { using scalar_t = double; CALL; break; }                           \
    default: EMBER_FAIL(name, " kernel: unsupported dtype ", dtype_name(dt), " (float32, float64)"); \
  }

void lstm_cell_forward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& h) {
  const int64_t B = c.sizes[0], H = c.sizes[1];
  check_rows("lstm_cell_forward", {&c_prev, &c, &h}, gates.dtype, B);
  check_rows("lstm_cell_forward", {&gates}, gates.dtype, B);
  EMBER_CHECK(gates.sizes[1] == 4 * H && c_prev.sizes[1] == H && h.sizes[1] == H, "lstm_cell_forward kernel: shapes");
  EMBER_RNN_DISPATCH(gates.dtype, "lstm_cell_forward", parallel_for(B, row_grain(H), [&](int64_t b0, int64_t b1) {
                       lstm_forward_rows<scalar_t>(gates, c_prev, c, h, b0, b1);
                     }));
}

void lstm_cell_backward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& dh_out,
                        const TensorArg& dh, const TensorArg& dc, const TensorArg& dgates) {
  const int64_t B = c.sizes[0], H = c.sizes[1];
  check_rows("lstm_cell_backward", {&gates, &c_prev, &c, &dh_out, &dh, &dc, &dgates}, gates.dtype, B);
  EMBER_CHECK(gates.sizes[1] == 4 * H && dgates.sizes[1] == 4 * H && dh.sizes[1] == H && dc.sizes[1] == H &&
                  dh_out.sizes[1] == H,
              "lstm_cell_backward kernel: shapes");
  EMBER_RNN_DISPATCH(gates.dtype, "lstm_cell_backward", parallel_for(B, row_grain(H), [&](int64_t b0, int64_t b1) {
                       lstm_backward_rows<scalar_t>(gates, c_prev, c, dh_out, dh, dc, dgates, b0, b1);
                     }));
}

void gru_cell_forward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& h) {
  const int64_t B = h.sizes[0], H = h.sizes[1];
  check_rows("gru_cell_forward", {&gi, &gh, &h_prev, &h}, gi.dtype, B);
  EMBER_CHECK(gi.sizes[1] == 3 * H && gh.sizes[1] == 3 * H && h_prev.sizes[1] == H, "gru_cell_forward kernel: shapes");
  EMBER_RNN_DISPATCH(gi.dtype, "gru_cell_forward", parallel_for(B, row_grain(H), [&](int64_t b0, int64_t b1) {
                       gru_forward_rows<scalar_t>(gi, gh, h_prev, h, b0, b1);
                     }));
}

void gru_cell_backward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& dh_out,
                       const TensorArg& dh, const TensorArg& dgi, const TensorArg& dgh) {
  const int64_t B = h_prev.sizes[0], H = h_prev.sizes[1];
  check_rows("gru_cell_backward", {&gi, &gh, &h_prev, &dh_out, &dh, &dgi, &dgh}, gi.dtype, B);
  EMBER_CHECK(gi.sizes[1] == 3 * H && gh.sizes[1] == 3 * H && dgi.sizes[1] == 3 * H && dgh.sizes[1] == 3 * H &&
                  dh.sizes[1] == H && dh_out.sizes[1] == H,
              "gru_cell_backward kernel: shapes");
  EMBER_RNN_DISPATCH(gi.dtype, "gru_cell_backward", parallel_for(B, row_grain(H), [&](int64_t b0, int64_t b1) {
                       gru_backward_rows<scalar_t>(gi, gh, h_prev, dh_out, dh, dgi, dgh, b0, b1);
                     }));
}

}  // namespace

void register_rnn_kernels(KernelTable& t) {
  // Float32 and float64 only (each kernel throws for others); ops/rnn.cpp calls them for those.
  t.set(kernels::kLstmCellForward, lstm_cell_forward);
  t.set(kernels::kLstmCellBackward, lstm_cell_backward);
  t.set(kernels::kGruCellForward, gru_cell_forward);
  t.set(kernels::kGruCellBackward, gru_cell_backward);
}

}  // namespace ember::cpu
