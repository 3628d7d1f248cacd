// Common operand checks for ops, and the wording of the dispatcher's dtype fallback warning.
#include "ops/dispatch.h"

namespace ember::ops {

namespace detail {
std::string unsupported_dtype_reason(DTypeMask bad) {
  unsigned t = 0;
  while (!(bad & dtype_bit(static_cast<DType>(t)))) ++t;
  return std::string("is not implemented for ") + dtype_name(static_cast<DType>(t));
}
}  // namespace detail

void check_defined(const char* op, const char* what, const Tensor& t) {
  EMBER_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

void check_same_device(const char* op, const std::vector<Tensor>& ts) {
  const Tensor* first = nullptr;
  for (const Tensor& t : ts) {
    if (!t.defined()) continue;
    if (!first) first = &t;
    else EMBER_CHECK(t.device() == first->device(), op, ": tensors are on different devices (",
                     first->device().str(), " and ", t.device().str(), ")");
  }
}

void check_floating(const char* op, const char* what, const Tensor& t) {
  EMBER_CHECK(is_floating(t.dtype()), op, ": ", what, " must be a floating-point tensor, got ", dtype_name(t.dtype()));
}

}  // namespace ember::ops
