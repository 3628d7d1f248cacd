// CUDA gate kernels of the recurrent layers (core/kernels/rnn.h): one thread per hidden unit
// i = b*H + j of a time step, float32 or float64. The per-element maths is the CPU's
// (core/kernel_math.h's sigmoid and tanh, core/kernel_formulas.h's cell formulas).
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "core/kernels/rnn.h"

namespace ember::cuda {
namespace {

/// A (B, k*H) operand: element 0 and the row stride (unit stride along the row).
template <class T>
struct Rows {
  T* p;
  int64_t stride;
  __device__ T* row(int64_t b) const { return p + b * stride; }
};
template <class T>
Rows<T> rows_of(const TensorArg& a) {
  EMBER_CHECK(a.dim() == 2 && (a.sizes[1] <= 1 || a.strides[1] == 1),
              "recurrent gate kernel: operands must be (B, k*H) rows with unit inner stride");
  return {device_ptr<T>(a), a.strides[0]};
}

template <class T>
__global__ void lstm_forward_kernel(Rows<T> g, Rows<const T> cp, Rows<T> c, Rows<T> h, int64_t B, int64_t H) {
  EMBER_GRID_STRIDE(i, B * H) {
    const int64_t b = i / H, j = i % H;
    T* gr = g.row(b);
    const T ig = math::sigmoid(gr[j]), fg = math::sigmoid(gr[H + j]), gg = math::m_tanh(gr[2 * H + j]),
            og = math::sigmoid(gr[3 * H + j]);
    gr[j] = ig, gr[H + j] = fg, gr[2 * H + j] = gg, gr[3 * H + j] = og;
    const T cn = EMBER_LSTM_CELL(ig, fg, gg, cp.row(b)[j]);
    c.row(b)[j] = cn;
    h.row(b)[j] = og * math::m_tanh(cn);
  }
}

template <class T>
__global__ void lstm_backward_kernel(Rows<const T> g, Rows<const T> cp, Rows<const T> c, Rows<const T> dho,
                                     Rows<const T> dh, Rows<T> dc, Rows<T> dg, int64_t B, int64_t H) {
  EMBER_GRID_STRIDE(i, B * H) {
    const int64_t b = i / H, j = i % H;
    const T* gr = g.row(b);
    const T ig = gr[j], fg = gr[H + j], gg = gr[2 * H + j], og = gr[3 * H + j];
    const T tc = math::m_tanh(c.row(b)[j]);
    const T dht = dho.row(b)[j] + dh.row(b)[j];
    const T dct = dc.row(b)[j] + dht * og * EMBER_TANH_GRAD_AT(T, tc);
    T* d = dg.row(b);
    d[j] = dct * gg * EMBER_SIGMOID_GRAD_AT(T, ig);
    d[H + j] = dct * cp.row(b)[j] * EMBER_SIGMOID_GRAD_AT(T, fg);
    d[2 * H + j] = dct * ig * EMBER_TANH_GRAD_AT(T, gg);
    d[3 * H + j] = dht * tc * EMBER_SIGMOID_GRAD_AT(T, og);
    dc.row(b)[j] = dct * fg;
  }
}

template <class T>
__global__ void gru_forward_kernel(Rows<T> gi, Rows<const T> gh, Rows<const T> hp, Rows<T> h, int64_t B, int64_t H) {
  EMBER_GRID_STRIDE(i, B * H) {
    const int64_t b = i / H, j = i % H;
    T* a = gi.row(b);
    const T* q = gh.row(b);
    const T r = math::sigmoid(a[j] + q[j]), z = math::sigmoid(a[H + j] + q[H + j]);
    const T n = math::m_tanh(a[2 * H + j] + r * q[2 * H + j]);
    a[j] = r, a[H + j] = z, a[2 * H + j] = n;
    h.row(b)[j] = EMBER_GRU_HIDDEN(z, n, hp.row(b)[j]);
  }
}

template <class T>
__global__ void gru_backward_kernel(Rows<const T> gi, Rows<const T> gh, Rows<const T> hp, Rows<const T> dho,
                                    Rows<T> dh, Rows<T> dgi, Rows<T> dgh, int64_t B, int64_t H) {
  EMBER_GRID_STRIDE(i, B * H) {
    const int64_t b = i / H, j = i % H;
    const T* a = gi.row(b);
    const T r = a[j], z = a[H + j], n = a[2 * H + j];
    T* d = dh.row(b);
    const T dht = dho.row(b)[j] + d[j];
    const T dn = dht * (T(1) - z) * EMBER_TANH_GRAD_AT(T, n);
    const T dz = dht * (hp.row(b)[j] - n) * EMBER_SIGMOID_GRAD_AT(T, z);
    const T dr = dn * gh.row(b)[2 * H + j] * EMBER_SIGMOID_GRAD_AT(T, r);
    T* di = dgi.row(b);
    T* dq = dgh.row(b);
    di[j] = dr, di[H + j] = dz, di[2 * H + j] = dn;
    dq[j] = dr, dq[H + j] = dz, dq[2 * H + j] = dn * r;
    d[j] = dht * z;
  }
}

// Variadic: the launch's <<<grid, block, ...>>> has commas outside parentheses.
#define EMBER_CUDA_RNN_DISPATCH(dt, name, ...)                                                             \
  switch (dt) {                                                                                            \
    case DType::Float32: { using scalar_t = float; __VA_ARGS__; break; }                                   \
    case DType::Float64: { using scalar_t = double; __VA_ARGS__; break; }                                  \
    default: EMBER_FAIL(name, " kernel: unsupported dtype ", dtype_name(dt), " (float32, float64)");       \
  }

void lstm_cell_forward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& h) {
  const int64_t B = c.sizes[0], H = c.sizes[1];
  DeviceContext& ctx = context_of(c);
  EMBER_CUDA_RNN_DISPATCH(gates.dtype, "lstm_cell_forward", {
    lstm_forward_kernel<scalar_t><<<grid_for(B * H, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        rows_of<scalar_t>(gates), rows_of<const scalar_t>(c_prev), rows_of<scalar_t>(c), rows_of<scalar_t>(h), B, H);
  });
  check_launch("lstm_cell_forward");
}

void lstm_cell_backward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& dh_out,
                        const TensorArg& dh, const TensorArg& dc, const TensorArg& dgates) {
  const int64_t B = c.sizes[0], H = c.sizes[1];
  DeviceContext& ctx = context_of(c);
  EMBER_CUDA_RNN_DISPATCH(gates.dtype, "lstm_cell_backward", {
    lstm_backward_kernel<scalar_t><<<grid_for(B * H, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        rows_of<const scalar_t>(gates), rows_of<const scalar_t>(c_prev), rows_of<const scalar_t>(c),
        rows_of<const scalar_t>(dh_out), rows_of<const scalar_t>(dh), rows_of<scalar_t>(dc), rows_of<scalar_t>(dgates),
        B, H);
  });
  check_launch("lstm_cell_backward");
}

void gru_cell_forward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& h) {
  const int64_t B = h.sizes[0], H = h.sizes[1];
  DeviceContext& ctx = context_of(h);
  EMBER_CUDA_RNN_DISPATCH(gi.dtype, "gru_cell_forward", {
    gru_forward_kernel<scalar_t><<<grid_for(B * H, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        rows_of<scalar_t>(gi), rows_of<const scalar_t>(gh), rows_of<const scalar_t>(h_prev), rows_of<scalar_t>(h), B, H);
  });
  check_launch("gru_cell_forward");
}

void gru_cell_backward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& dh_out,
                       const TensorArg& dh, const TensorArg& dgi, const TensorArg& dgh) {
  const int64_t B = h_prev.sizes[0], H = h_prev.sizes[1];
  DeviceContext& ctx = context_of(dh);
  EMBER_CUDA_RNN_DISPATCH(gi.dtype, "gru_cell_backward", {
    gru_backward_kernel<scalar_t><<<grid_for(B * H, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        rows_of<const scalar_t>(gi), rows_of<const scalar_t>(gh), rows_of<const scalar_t>(h_prev),
        rows_of<const scalar_t>(dh_out), rows_of<scalar_t>(dh), rows_of<scalar_t>(dgi), rows_of<scalar_t>(dgh), B, H);
  });
  check_launch("gru_cell_backward");
}

}  // namespace

void register_rnn_kernels(KernelTable& t) {
  const DTypeMask floats = dtype_bit(DType::Float32) | dtype_bit(DType::Float64);
  t.set(kernels::kLstmCellForward, lstm_cell_forward, floats);
  t.set(kernels::kLstmCellBackward, lstm_cell_backward, floats);
  t.set(kernels::kGruCellForward, gru_cell_forward, floats);
  t.set(kernels::kGruCellBackward, gru_cell_backward, floats);
}

}  // namespace ember::cuda
