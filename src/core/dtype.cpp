// DType names, sizes and promotion; float16 conversion via Debian's FP16 library.
#include "ember/dtype.h"

#include <fp16.h>

#include <algorithm>

#include "ember/error.h"

namespace ember {

namespace detail {
uint16_t f32_to_f16_bits(float f) { return fp16_ieee_from_fp32_value(f); }
float f16_bits_to_f32(uint16_t h) { return fp16_ieee_to_fp32_value(h); }
}  // namespace detail

size_t dtype_size(DType t) {
  switch (t) {
    case DType::Bool: case DType::UInt8: return 1;
    case DType::Float16: case DType::BFloat16: return 2;
    case DType::Int32: case DType::Float32: return 4;
    case DType::Int64: case DType::Float64: return 8;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

DType parse_dtype(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "bool") return DType::Bool;
  if (n == "uint8" || n == "u8") return DType::UInt8;
  if (n == "int32" || n == "i32") return DType::Int32;
  if (n == "int64" || n == "i64") return DType::Int64;
  if (n == "float16" || n == "f16" || n == "fp16" || n == "half") return DType::Float16;
  if (n == "bfloat16" || n == "bf16") return DType::BFloat16;
  if (n == "float32" || n == "f32" || n == "fp32" || n == "float") return DType::Float32;
  if (n == "float64" || n == "f64" || n == "fp64" || n == "double") return DType::Float64;
  EMBER_FAIL("unknown dtype '", name, "' (expected one of bool, uint8, int32, int64, float16, bfloat16, float32, float64)");
}

bool is_floating(DType t) {
  return t == DType::Float16 || t == DType::BFloat16 || t == DType::Float32 || t == DType::Float64;
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if ((a == DType::Float16 && b == DType::BFloat16) || (a == DType::BFloat16 && b == DType::Float16))
    return DType::Float32;
  // The enum is ordered bool < uint8 < int32 < int64 < f16 < bf16 < f32 < f64.
  return static_cast<uint8_t>(a) > static_cast<uint8_t>(b) ? a : b;
}

}  // namespace ember
