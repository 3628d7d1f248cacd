// CPU gate kernels of the recurrent layers (core/kernels/rnn.h): one pass over a time step's
// (B, k*H) gates per call, rows in parallel. The per-element maths is core/kernel_math.h's
// (sigmoid, tanh) and core/kernel_formulas.h's (cell update, derivatives at the outputs).
// The loops over a row vectorise (omp simd): float's expf and tanhf are declared SIMD-callable below, so
// the compiler calls glibc's vector versions (libmvec) on 8 elements at a time.
#include <math.h>

#if defined(EMBER_HAVE_LIBMVEC) && defined(__x86_64__) && defined(__GLIBC__)
// What glibc's <bits/math-vector.h> declares under -ffast-math, for these two functions only:
// libmvec has _ZGV*_expf (glibc 2.22) and _ZGV*_tanhf (2.35), within 4 ulp of libm's.
extern "C" {
__attribute__((__simd__("notinbranch"))) float expf(float) noexcept;
__attribute__((__simd__("notinbranch"))) float tanhf(float) noexcept;
}
#endif

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

// Each gate's slice of a row gets its own restrict pointer (the slices do not overlap), which is
// what lets the compiler vectorise the in-place loops.
template <class T>
void lstm_forward_rows(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& h,
                       int64_t b0, int64_t b1) {
  const int64_t H = c.sizes[1];
  for (int64_t b = b0; b < b1; ++b) {
    T* g = row<T>(gates, b);
    T* __restrict gi = g;
    T* __restrict gf = g + H;
    T* __restrict gg = g + 2 * H;
    T* __restrict go = g + 3 * H;
    const T* __restrict cp = row<const T>(c_prev, b);
    T* __restrict cr = row<T>(c, b);
    T* __restrict hr = row<T>(h, b);
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const T i = math::sigmoid(gi[j]), f = math::sigmoid(gf[j]), g2 = math::m_tanh(gg[j]), o = math::sigmoid(go[j]);
      gi[j] = i, gf[j] = f, gg[j] = g2, go[j] = o;
      const T cn = EMBER_LSTM_CELL(i, f, g2, cp[j]);
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
    const T* __restrict gi = g;
    const T* __restrict gf = g + H;
    const T* __restrict gg = g + 2 * H;
    const T* __restrict go = g + 3 * H;
    const T* __restrict cp = row<const T>(c_prev, b);
    const T* __restrict cr = row<const T>(c, b);
    const T* __restrict dho = row<const T>(dh_out, b);
    const T* __restrict dhr = row<const T>(dh, b);
    T* __restrict dcr = row<T>(dc, b);
    T* dg = row<T>(dgates, b);
    T* __restrict di = dg;
    T* __restrict df = dg + H;
    T* __restrict dgg = dg + 2 * H;
    T* __restrict d_o = dg + 3 * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const T i = gi[j], f = gf[j], g2 = gg[j], o = go[j];
      const T tc = math::m_tanh(cr[j]);
      const T dht = dho[j] + dhr[j];
      const T dct = dcr[j] + dht * o * EMBER_TANH_GRAD_AT(T, tc);
      di[j] = dct * g2 * EMBER_SIGMOID_GRAD_AT(T, i);
      df[j] = dct * cp[j] * EMBER_SIGMOID_GRAD_AT(T, f);
      dgg[j] = dct * i * EMBER_TANH_GRAD_AT(T, g2);
      d_o[j] = dht * tc * EMBER_SIGMOID_GRAD_AT(T, o);
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
    T* __restrict ar = a;
    T* __restrict az = a + H;
    T* __restrict an = a + 2 * H;
    const T* q = row<const T>(gh, b);
    const T* __restrict qr = q;
    const T* __restrict qz = q + H;
    const T* __restrict qn = q + 2 * H;
    const T* __restrict hp = row<const T>(h_prev, b);
    T* __restrict hr = row<T>(h, b);
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const T r = math::sigmoid(ar[j] + qr[j]), z = math::sigmoid(az[j] + qz[j]);
      const T n = math::m_tanh(an[j] + r * qn[j]);
      ar[j] = r, az[j] = z, an[j] = n;
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
    const T* __restrict ar = a;
    const T* __restrict az = a + H;
    const T* __restrict an = a + 2 * H;
    const T* __restrict qn = row<const T>(gh, b) + 2 * H;
    const T* __restrict hp = row<const T>(h_prev, b);
    const T* __restrict dho = row<const T>(dh_out, b);
    T* __restrict d = row<T>(dh, b);
    T* di = row<T>(dgi, b);
    T* __restrict dir = di;
    T* __restrict diz = di + H;
    T* __restrict din = di + 2 * H;
    T* dq = row<T>(dgh, b);
    T* __restrict dqr = dq;
    T* __restrict dqz = dq + H;
    T* __restrict dqn = dq + 2 * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const T r = ar[j], z = az[j], n = an[j];
      const T dht = dho[j] + d[j];
      const T dn = dht * (T(1) - z) * EMBER_TANH_GRAD_AT(T, n);
      const T dz = dht * (hp[j] - n) * EMBER_SIGMOID_GRAD_AT(T, z);
      const T dr = dn * qn[j] * EMBER_SIGMOID_GRAD_AT(T, r);
      dir[j] = dr, diz[j] = dz, din[j] = dn;
      dqr[j] = dr, dqz[j] = dz, dqn[j] = dn * r;
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
