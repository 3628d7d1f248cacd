// DType: the element types a Tensor can hold, their sizes, names and promotion rules.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "ember/half.h"

namespace ember {

enum class DType : uint8_t { Bool, UInt8, Int32, Int64, Float16, BFloat16, Float32, Float64 };

inline constexpr DType kBool = DType::Bool;
inline constexpr DType kUInt8 = DType::UInt8;
inline constexpr DType kInt32 = DType::Int32;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kFloat16 = DType::Float16;
inline constexpr DType kBFloat16 = DType::BFloat16;
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;

size_t dtype_size(DType t);
/// Short name as PyTorch prints it: "float32", "bfloat16", "int64", "bool", ...
const char* dtype_name(DType t);
/// Parses a dtype name ("float32", "f32", "bf16", ...). Throws ember::Error for unknown names.
DType parse_dtype(const std::string& name);
bool is_floating(DType t);
/// The dtype an arithmetic op on a and b computes in (NumPy/PyTorch-like: float beats int,
/// wider beats narrower, float16 with bfloat16 gives float32, bool with bool stays bool).
DType promote_types(DType a, DType b);

/// Maps a C++ scalar type to its DType.
template <class T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<Half> { static constexpr DType value = DType::Float16; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::BFloat16; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };

}  // namespace ember
