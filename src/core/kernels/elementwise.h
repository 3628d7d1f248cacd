// Kernel signatures for elementwise unary and binary ops (operands already broadcast to out's
// sizes), and the ops' one list: enum, name, which dtypes each is defined for and its result
// dtype, generated from core/kernel_formulas.h (shared with the OpenCL kernels' op codes).
// Every backend checks legality with unary_defined / binary_defined from here.
#pragma once
#include "core/kernel_formulas.h"
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"
#include "ember/error.h"

namespace ember::kernels {

#define EMBER_OP_ENUM(Enum, name, domain, result) Enum,
enum class UnaryOp { EMBER_UNARY_OPS(EMBER_OP_ENUM) };
enum class BinaryOp { EMBER_BINARY_OPS(EMBER_OP_ENUM) };
#undef EMBER_OP_ENUM
// UnaryOp: PowScalar is x^p0; LogicalNot gives bool; LeakyRelu's negative slope is p0.
// BinaryOp: Eq..Ge, LogicalAnd/Or give bool; GeluBackward: a = grad, b = x: grad * gelu'(x);
// ReluBackward: a = grad, b = relu output: b > 0 ? grad : 0.

/// The dtypes an op is defined for (see kernel_formulas.h).
enum class OpDomain { Any, NotBool, Floating };

namespace detail {
inline bool in_domain(OpDomain d, DType t) {
  switch (d) {
    case OpDomain::Any: return true;
    case OpDomain::NotBool: return t != DType::Bool;
    case OpDomain::Floating: return is_floating(t);
  }
  return false;
}
}  // namespace detail

#define EMBER_OP_CASE_NAME(Enum, name, domain, result) case Op::Enum: return name;
#define EMBER_OP_CASE_DOMAIN(Enum, name, domain, result) case Op::Enum: return OpDomain::domain;
#define EMBER_OP_CASE_BOOL(Enum, name, domain, result) case Op::Enum: return #result[0] == 'B';
/// The public op's name ("gelu"), for messages.
inline const char* op_name(UnaryOp op) {
  using Op = UnaryOp;
  switch (op) { EMBER_UNARY_OPS(EMBER_OP_CASE_NAME) }
  return "?";
}
inline const char* op_name(BinaryOp op) {
  using Op = BinaryOp;
  switch (op) { EMBER_BINARY_OPS(EMBER_OP_CASE_NAME) }
  return "?";
}
inline OpDomain op_domain(UnaryOp op) {
  using Op = UnaryOp;
  switch (op) { EMBER_UNARY_OPS(EMBER_OP_CASE_DOMAIN) }
  return OpDomain::Any;
}
inline OpDomain op_domain(BinaryOp op) {
  using Op = BinaryOp;
  switch (op) { EMBER_BINARY_OPS(EMBER_OP_CASE_DOMAIN) }
  return OpDomain::Any;
}
/// Whether op's result is bool (comparisons, logical ops) rather than the operands' dtype.
inline bool bool_result(UnaryOp op) {
  using Op = UnaryOp;
  switch (op) { EMBER_UNARY_OPS(EMBER_OP_CASE_BOOL) }
  return false;
}
inline bool bool_result(BinaryOp op) {
  using Op = BinaryOp;
  switch (op) { EMBER_BINARY_OPS(EMBER_OP_CASE_BOOL) }
  return false;
}
#undef EMBER_OP_CASE_NAME
#undef EMBER_OP_CASE_DOMAIN
#undef EMBER_OP_CASE_BOOL

/// Whether a kernel computes op on operands of dtype t (the same rule on every backend).
inline bool unary_defined(UnaryOp op, DType t) { return detail::in_domain(op_domain(op), t); }
inline bool binary_defined(BinaryOp op, DType t) { return detail::in_domain(op_domain(op), t); }
/// Throws ember::Error "unary op gelu is not defined for dtype int64" unless unary_defined.
inline void check_defined(UnaryOp op, DType t) {
  EMBER_CHECK(unary_defined(op, t), "unary op ", op_name(op), " is not defined for dtype ", dtype_name(t));
}
inline void check_defined(BinaryOp op, DType t) {
  EMBER_CHECK(binary_defined(op, t), "binary op ", op_name(op), " is not defined for dtype ", dtype_name(t));
}

/// out = op(in) elementwise; in and out have the same dtype except bool_result ops (out bool).
/// Requires unary_defined(op, in.dtype). p0/p1: Clamp lower/upper (NaN = unbounded),
/// PowScalar exponent, LeakyRelu negative slope.
using UnaryKernel = void(UnaryOp op, const TensorArg& in, const TensorArg& out, double p0, double p1);
inline constinit const KernelKey<UnaryKernel> kUnary{"unary"};

/// out = op(a, b) elementwise; a and b share a dtype; out has it too, or bool for bool_result
/// ops. Requires binary_defined(op, a.dtype).
using BinaryKernel = void(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out);
inline constinit const KernelKey<BinaryKernel> kBinary{"binary"};

/// out = cond ? a : b; cond bool, a/b/out share a dtype.
using WhereKernel = void(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out);
inline constinit const KernelKey<WhereKernel> kWhere{"where"};

}  // namespace ember::kernels
