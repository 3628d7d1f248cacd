// CPU reference kernels for elementwise unary/binary ops and where(), threaded with OpenMP
// (float32 GELU and its gradient take the vectorised fast path of gelu_fast.h).
// 16-bit floats compute in float. Contiguous operands take a flat loop the compiler vectorises.
// The per-element maths is core/kernel_math.h's (shared with CUDA; its formulas with OpenCL) and
// which op is defined for which dtype is core/kernels/elementwise.h's.
#include <cmath>
#include <initializer_list>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/fast_path.h"
#include "backends/cpu/gelu_fast.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernel_math.h"
#include "core/kernels/elementwise.h"

namespace ember::cpu {
namespace {
using kernels::BinaryOp;
using kernels::UnaryOp;

/// Elementwise operands that can be walked as one flat array: all row-major contiguous, or all
/// dense with the same strides (channels-last operands, say), which pairs elements slot by slot.
bool flat_walk(std::initializer_list<const TensorArg*> ops) {
  bool contiguous = true;
  for (const TensorArg* a : ops) contiguous = contiguous && a->contiguous();
  if (contiguous) return true;
  const TensorArg* first = *ops.begin();
  for (const TensorArg* a : ops)
    if (a->strides != first->strides || !a->dense()) return false;
  return true;
}

/// out[i] = f(in[i]) over any strides; In/Out are storage types, f works on acc types.
template <class In, class Out, class F>
void map1(const TensorArg& in, const TensorArg& out, F f) {
  const In* x = ptr<const In>(in);
  Out* y = ptr<Out>(out);
  int64_t n = out.numel();
  bool flat = flat_walk({&in, &out});
  parallel_for(n, kGrainSize, [&](int64_t b, int64_t e) {
    if (flat) {
      for (int64_t i = b; i < e; ++i) y[i] = static_cast<Out>(f(static_cast<acc_t<In>>(x[i])));
    } else {
      for_each_offset<2>(out.sizes, {&in.strides, &out.strides}, b, e, [&](const std::array<int64_t, 2>& o) {
        y[o[1]] = static_cast<Out>(f(static_cast<acc_t<In>>(x[o[0]])));
      });
    }
  });
}

template <class In, class Out, class F>
void map2(const TensorArg& a, const TensorArg& b, const TensorArg& out, F f) {
  const In* x = ptr<const In>(a);
  const In* z = ptr<const In>(b);
  Out* y = ptr<Out>(out);
  int64_t n = out.numel();
  bool flat = flat_walk({&a, &b, &out});
  parallel_for(n, kGrainSize, [&](int64_t lo, int64_t hi) {
    if (flat) {
      for (int64_t i = lo; i < hi; ++i)
        y[i] = static_cast<Out>(f(static_cast<acc_t<In>>(x[i]), static_cast<acc_t<In>>(z[i])));
    } else {
      for_each_offset<3>(out.sizes, {&a.strides, &b.strides, &out.strides}, lo, hi,
                         [&](const std::array<int64_t, 3>& o) {
                           y[o[2]] = static_cast<Out>(f(static_cast<acc_t<In>>(x[o[0]]), static_cast<acc_t<In>>(z[o[1]])));
                         });
    }
  });
}

template <class T>
void unary_typed(UnaryOp op, const TensorArg& in, const TensorArg& out, double p0, double p1) {
  using A = acc_t<T>;
  constexpr bool fp = !std::is_integral_v<A>;
  switch (op) {
    case UnaryOp::Neg: if constexpr (!std::is_same_v<T, bool>) return map1<T, T>(in, out, [](A v) { return static_cast<A>(-v); }); break;
    case UnaryOp::Abs: if constexpr (!std::is_same_v<T, bool>) return map1<T, T>(in, out, [](A v) { return v < A(0) ? static_cast<A>(-v) : v; }); break;
    case UnaryOp::Square: return map1<T, T>(in, out, [](A v) { return static_cast<A>(v * v); });
    case UnaryOp::Sign: return map1<T, T>(in, out, [](A v) { return static_cast<A>((A(0) < v) - (v < A(0))); });
    case UnaryOp::Relu: return map1<T, T>(in, out, [](A v) { return math::relu(v); });
    case UnaryOp::Clamp: return map1<T, T>(in, out, [p0, p1](A v) { return math::clamp(v, p0, p1, fp); });
    case UnaryOp::LogicalNot: return map1<T, bool>(in, out, [](A v) { return !(v != A(0)); });
    default: break;
  }
  if constexpr (fp) {
    switch (op) {
      case UnaryOp::Exp: return map1<T, T>(in, out, [](A v) { return std::exp(v); });
      case UnaryOp::Log: return map1<T, T>(in, out, [](A v) { return std::log(v); });
      case UnaryOp::Sqrt: return map1<T, T>(in, out, [](A v) { return std::sqrt(v); });
      case UnaryOp::Tanh: return map1<T, T>(in, out, [](A v) { return std::tanh(v); });
      case UnaryOp::Reciprocal: return map1<T, T>(in, out, [](A v) { return A(1) / v; });
      case UnaryOp::Sigmoid: return map1<T, T>(in, out, [](A v) { return math::sigmoid(v); });
      case UnaryOp::Gelu:
        if (fast_paths_enabled() && gelu_fast(in, out, flat_walk({&in, &out}))) return;
        return map1<T, T>(in, out, [](A v) { return math::gelu(v); });
      case UnaryOp::LeakyRelu: return map1<T, T>(in, out, [p0](A v) { return math::leaky_relu(v, p0); });
      case UnaryOp::PowScalar: return map1<T, T>(in, out, [p0](A v) { return static_cast<A>(std::pow(v, static_cast<A>(p0))); });
      default: break;
    }
  }
  EMBER_FAIL("unary op ", kernels::op_name(op), " has no CPU kernel for dtype ", dtype_name(in.dtype));
}

void unary_kernel(UnaryOp op, const TensorArg& in, const TensorArg& out, double p0, double p1) {
  kernels::check_defined(op, in.dtype);
  EMBER_DISPATCH_ALL(in.dtype, "unary", { unary_typed<scalar_t>(op, in, out, p0, p1); });
}

template <class T>
void binary_typed(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  using A = acc_t<T>;
  constexpr bool fp = !std::is_integral_v<A>;
  switch (op) {
    case BinaryOp::Add: return map2<T, T>(a, b, out, [](A x, A y) { return static_cast<A>(x + y); });
    case BinaryOp::Sub: return map2<T, T>(a, b, out, [](A x, A y) { return static_cast<A>(x - y); });
    case BinaryOp::Mul: return map2<T, T>(a, b, out, [](A x, A y) { return static_cast<A>(x * y); });
    case BinaryOp::Div:
      if constexpr (fp) return map2<T, T>(a, b, out, [](A x, A y) { return x / y; });
      else return map2<T, T>(a, b, out, [](A x, A y) {
        if (y == A(0)) throw Error("div: integer division by zero");
        return static_cast<A>(x / y);
      });
    case BinaryOp::Maximum: return map2<T, T>(a, b, out, [](A x, A y) { return math::maximum(x, y); });
    case BinaryOp::Minimum: return map2<T, T>(a, b, out, [](A x, A y) { return math::minimum(x, y); });
    case BinaryOp::Eq: return map2<T, bool>(a, b, out, [](A x, A y) { return x == y; });
    case BinaryOp::Ne: return map2<T, bool>(a, b, out, [](A x, A y) { return x != y; });
    case BinaryOp::Lt: return map2<T, bool>(a, b, out, [](A x, A y) { return x < y; });
    case BinaryOp::Le: return map2<T, bool>(a, b, out, [](A x, A y) { return x <= y; });
    case BinaryOp::Gt: return map2<T, bool>(a, b, out, [](A x, A y) { return x > y; });
    case BinaryOp::Ge: return map2<T, bool>(a, b, out, [](A x, A y) { return x >= y; });
    case BinaryOp::LogicalAnd: return map2<T, bool>(a, b, out, [](A x, A y) { return x != A(0) && y != A(0); });
    case BinaryOp::LogicalOr: return map2<T, bool>(a, b, out, [](A x, A y) { return x != A(0) || y != A(0); });
    default: break;
  }
  if constexpr (fp) {
    switch (op) {
      case BinaryOp::Pow: return map2<T, T>(a, b, out, [](A x, A y) { return std::pow(x, y); });
      case BinaryOp::ReluBackward: return map2<T, T>(a, b, out, [](A g, A y) { return y > A(0) ? g : A(0); });
      case BinaryOp::GeluBackward:
        if (fast_paths_enabled() && gelu_backward_fast(a, b, out, flat_walk({&a, &b, &out}))) return;
        return map2<T, T>(a, b, out, [](A g, A x) { return math::gelu_backward(g, x); });
      default: break;
    }
  } else if (op == BinaryOp::Pow && !std::is_same_v<T, bool>) {
    return map2<T, T>(a, b, out, [](A x, A y) {
      A r = 1;
      for (int64_t i = 0; i < static_cast<int64_t>(y); ++i) r = static_cast<A>(r * x);
      return r;
    });
  }
  EMBER_FAIL("binary op ", kernels::op_name(op), " has no CPU kernel for dtype ", dtype_name(a.dtype));
}

void binary_kernel(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  kernels::check_defined(op, a.dtype);
  EMBER_DISPATCH_ALL(a.dtype, "binary", { binary_typed<scalar_t>(op, a, b, out); });
}

void where_kernel(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  EMBER_DISPATCH_ALL(out.dtype, "where", {
    const bool* c = ptr<const bool>(cond);
    const scalar_t* x = ptr<const scalar_t>(a);
    const scalar_t* y = ptr<const scalar_t>(b);
    scalar_t* o = ptr<scalar_t>(out);
    parallel_for(out.numel(), kGrainSize, [&](int64_t lo, int64_t hi) {
      for_each_offset<4>(out.sizes, {&cond.strides, &a.strides, &b.strides, &out.strides}, lo, hi,
                         [&](const std::array<int64_t, 4>& off) { o[off[3]] = c[off[0]] ? x[off[1]] : y[off[2]]; });
    });
  });
}

}  // namespace

void register_elementwise_kernels(KernelTable& t) {
  t.set(kernels::kUnary, unary_kernel);
  t.set(kernels::kBinary, binary_kernel);
  t.set(kernels::kWhere, where_kernel);
}

}  // namespace ember::cpu
