// DType dispatch macros for CPU kernels and the float accumulation type of each scalar.
#pragma once
#include <type_traits>

#include "ember/dtype.h"
#include "ember/error.h"

namespace ember::cpu {

/// float for the 16-bit floats, the type itself otherwise.
template <class T>
using acc_t = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, T>;

}  // namespace ember::cpu

#define EMBER_DTYPE_CASE(DT, T, ...) \
  case ::ember::DType::DT: {         \
    using scalar_t = T;              \
    __VA_ARGS__;                     \
    break;                           \
  }

/// Runs the body with scalar_t bound to the C++ type of a floating dtype.
#define EMBER_DISPATCH_FLOATING(dtype, opname, ...)                                        \
  switch (dtype) {                                                                         \
    EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)                                          \
    EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)                                         \
    EMBER_DTYPE_CASE(Float16, ::ember::Half, __VA_ARGS__)                                  \
    EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, __VA_ARGS__)                             \
    default:                                                                               \
      EMBER_FAIL(opname, ": unsupported dtype ", ::ember::dtype_name(dtype), " (floating only)"); \
  }

/// Runs the body with scalar_t bound to the C++ type of any dtype.
#define EMBER_DISPATCH_ALL(dtype, opname, ...)                      \
  switch (dtype) {                                                  \
    EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)                   \
    EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)                  \
    EMBER_DTYPE_CASE(Float16, ::ember::Half, __VA_ARGS__)           \
    EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, __VA_ARGS__)      \
    EMBER_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)                   \
    EMBER_DTYPE_CASE(Int32, int32_t, __VA_ARGS__)                   \
    EMBER_DTYPE_CASE(UInt8, uint8_t, __VA_ARGS__)                   \
    EMBER_DTYPE_CASE(Bool, bool, __VA_ARGS__)                       \
  }
