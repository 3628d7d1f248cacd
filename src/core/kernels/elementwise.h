// Kernel signatures for elementwise unary and binary ops (operands already broadcast to out's sizes).
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

enum class UnaryOp {
  Neg, Exp, Log, Sqrt, Abs, Tanh, Sigmoid, Relu, Gelu, Clamp, Sign, Square, Reciprocal,
  PowScalar,   // x^p0
  LogicalNot,
};
/// out = op(in) elementwise; in and out have the same dtype except LogicalNot (out bool).
/// p0/p1: Clamp lower/upper (NaN = unbounded), PowScalar exponent.
using UnaryKernel = void(UnaryOp op, const TensorArg& in, const TensorArg& out, double p0, double p1);
inline constinit const KernelKey<UnaryKernel> kUnary{"unary"};

enum class BinaryOp {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  Eq, Ne, Lt, Le, Gt, Ge,  // out dtype bool
  GeluBackward,            // a = grad, b = x: grad * gelu'(x)
  ReluBackward,            // a = grad, b = relu output: b > 0 ? grad : 0
  LogicalAnd, LogicalOr,
};
/// out = op(a, b) elementwise; a and b share a dtype; out has it too, or bool for comparisons.
using BinaryKernel = void(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out);
inline constinit const KernelKey<BinaryKernel> kBinary{"binary"};

/// out = cond ? a : b; cond bool, a/b/out share a dtype.
using WhereKernel = void(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out);
inline constinit const KernelKey<WhereKernel> kWhere{"where"};

}  // namespace ember::kernels
