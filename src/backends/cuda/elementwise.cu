// CUDA elementwise kernels. One kernel per storage type and family: the op is a run-time
// argument (the same for every thread, so the switch costs no divergence), which keeps the
// instantiations at 8 per family instead of ops x dtypes. The per-element maths is the CPU's
// (core/kernel_math.h) and which op is defined for which dtype is core's (kernels/elementwise.h).
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "backends/cuda/elementwise.cuh"

// `v < 0` on uint8 is the CPU kernel's own expression (always false): keep it, without the warning.
#pragma nv_diag_suppress 186

namespace ember::cuda {

using kernels::BinaryOp;
using kernels::UnaryOp;

namespace {

template <class T>
__device__ __forceinline__ acc_t<T> unary_value(UnaryOp op, acc_t<T> v, double p0, double p1) {
  using A = acc_t<T>;
  constexpr bool fp = is_floating_v<T>;
  switch (op) {
    case UnaryOp::Neg: return static_cast<A>(-v);
    case UnaryOp::Abs: return v < A(0) ? static_cast<A>(-v) : v;
    case UnaryOp::Square: return static_cast<A>(v * v);
    case UnaryOp::Sign: return static_cast<A>((A(0) < v) - (v < A(0)));
    case UnaryOp::Relu: return math::relu(v);
    case UnaryOp::Clamp: return math::clamp(v, p0, p1, fp);
    default: break;
  }
  if constexpr (fp) {
    switch (op) {
      case UnaryOp::Exp: return math::ember_exp(v);
      case UnaryOp::Log: return math::m_log(v);
      case UnaryOp::Sqrt: return math::m_sqrt(v);
      case UnaryOp::Tanh: return math::m_tanh(v);
      case UnaryOp::Reciprocal: return A(1) / v;
      case UnaryOp::Sigmoid: return math::sigmoid(v);
      case UnaryOp::Gelu: return math::gelu(v);
      case UnaryOp::PowScalar: return math::m_pow(v, static_cast<A>(p0));
      case UnaryOp::LeakyRelu: return math::leaky_relu(v, p0);
      default: break;
    }
  }
  return v;  // unreachable: the host checks unary_defined()
}

template <class T>
__global__ void unary_kernel(UnaryOp op, const T* in, void* out, int64_t n, StridedIter<2> it, bool dense, double p0,
                             double p1) {
  using A = acc_t<T>;
  EMBER_GRID_STRIDE(i, n) {
    int64_t o[2] = {i, i};
    if (!dense) it.offsets(i, o);
    const A v = to_acc(in[o[0]]);
    if (op == UnaryOp::LogicalNot) static_cast<bool*>(out)[o[1]] = !(v != A(0));
    else static_cast<T*>(out)[o[1]] = from_acc<T>(unary_value<T>(op, v, p0, p1));
  }
}

template <class T>
__device__ __forceinline__ acc_t<T> binary_value(BinaryOp op, acc_t<T> x, acc_t<T> y, int* err) {
  using A = acc_t<T>;
  constexpr bool fp = is_floating_v<T>;
  switch (op) {
    case BinaryOp::Add: return static_cast<A>(x + y);
    case BinaryOp::Sub: return static_cast<A>(x - y);
    case BinaryOp::Mul: return static_cast<A>(x * y);
    case BinaryOp::Div:
      if constexpr (fp) {
        return x / y;
      } else {
        if (y == A(0)) {
          atomicExch(err, 1);
          return A(0);
        }
        return static_cast<A>(x / y);
      }
    case BinaryOp::Maximum: return math::maximum(x, y);
    case BinaryOp::Minimum: return math::minimum(x, y);
    case BinaryOp::Eq: return x == y;
    case BinaryOp::Ne: return x != y;
    case BinaryOp::Lt: return x < y;
    case BinaryOp::Le: return x <= y;
    case BinaryOp::Gt: return x > y;
    case BinaryOp::Ge: return x >= y;
    case BinaryOp::LogicalAnd: return x != A(0) && y != A(0);
    case BinaryOp::LogicalOr: return x != A(0) || y != A(0);
    default: break;
  }
  if constexpr (fp) {
    switch (op) {
      case BinaryOp::Pow: return math::m_pow(x, y);
      case BinaryOp::ReluBackward: return y > A(0) ? x : A(0);
      case BinaryOp::GeluBackward: return math::gelu_backward(x, y);
      default: break;
    }
  } else if (op == BinaryOp::Pow) {
    A r = 1;
    for (int64_t i = 0; i < static_cast<int64_t>(y); ++i) r = static_cast<A>(r * x);
    return r;
  }
  return x;  // unreachable: the host checks binary_defined()
}

template <class T>
__global__ void binary_kernel(BinaryOp op, const T* a, const T* b, void* out, int64_t n, StridedIter<3> it, bool dense,
                              int* err, bool to_bool) {
  using A = acc_t<T>;
  EMBER_GRID_STRIDE(i, n) {
    int64_t o[3] = {i, i, i};
    if (!dense) it.offsets(i, o);
    const A r = binary_value<T>(op, to_acc(a[o[0]]), to_acc(b[o[1]]), err);
    if (to_bool) static_cast<bool*>(out)[o[2]] = r != A(0);
    else static_cast<T*>(out)[o[2]] = from_acc<T>(r);
  }
}

template <class T>
__global__ void where_kernel(const bool* c, const T* a, const T* b, T* out, int64_t n, StridedIter<4> it, bool dense) {
  EMBER_GRID_STRIDE(i, n) {
    int64_t o[4] = {i, i, i, i};
    if (!dense) it.offsets(i, o);
    out[o[3]] = c[o[0]] ? a[o[1]] : b[o[2]];
  }
}

}  // namespace

void unary(UnaryOp op, const TensorArg& in, const TensorArg& out, double p0, double p1) {
  kernels::check_defined(op, in.dtype);
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(out);
  const StridedIter<2> it = make_iter<2>(out.sizes, {&in.strides, &out.strides}, "unary");
  const unsigned grid = grid_for(n, kBlock, ctx);
  EMBER_CUDA_DISPATCH_ALL(in.dtype, "unary", {
    unary_kernel<scalar_t><<<grid, kBlock, 0, ctx.stream()>>>(op, device_ptr<const scalar_t>(in), device_ptr_bytes(out), n,
                                                              it, all_dense(it), p0, p1);
  });
  check_launch("unary");
}

void binary(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  kernels::check_defined(op, a.dtype);
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(out);
  const StridedIter<3> it = make_iter<3>(out.sizes, {&a.strides, &b.strides, &out.strides}, "binary");
  const unsigned grid = grid_for(n, kBlock, ctx);
  const bool int_div = op == BinaryOp::Div && !is_floating(a.dtype);
  int* err = int_div ? ctx.error_flag() : nullptr;
  EMBER_CUDA_DISPATCH_ALL(a.dtype, "binary", {
    binary_kernel<scalar_t><<<grid, kBlock, 0, ctx.stream()>>>(op, device_ptr<const scalar_t>(a),
                                                               device_ptr<const scalar_t>(b), device_ptr_bytes(out), n,
                                                               it, all_dense(it), err, kernels::bool_result(op));
  });
  check_launch("binary");
  // The CPU throws on integer division by zero; here that costs a wait for the device.
  if (int_div && ctx.read_error_flag() != 0) EMBER_FAIL("div: integer division by zero");
}

void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  EMBER_CHECK(cond.dtype == DType::Bool, "where: condition must be bool, got ", dtype_name(cond.dtype));
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(out);
  const StridedIter<4> it = make_iter<4>(out.sizes, {&cond.strides, &a.strides, &b.strides, &out.strides}, "where");
  const unsigned grid = grid_for(n, kBlock, ctx);
  EMBER_CUDA_DISPATCH_ALL(out.dtype, "where", {
    where_kernel<scalar_t><<<grid, kBlock, 0, ctx.stream()>>>(device_ptr<const bool>(cond), device_ptr<const scalar_t>(a),
                                                              device_ptr<const scalar_t>(b), device_ptr<scalar_t>(out), n,
                                                              it, all_dense(it));
  });
  check_launch("where");
}

void register_elementwise_kernels(KernelTable& t) {
  t.set(kernels::kUnary, unary);
  t.set(kernels::kBinary, binary);
  t.set(kernels::kWhere, where);
}

}  // namespace ember::cuda
