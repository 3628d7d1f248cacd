// 16-bit floating point storage types: IEEE float16 (Half) and bfloat16 (BFloat16).
// Both convert to and from float with round-to-nearest-even; arithmetic happens in float.
#pragma once
#include <cstdint>
#include <cstring>

namespace ember {

namespace detail {
inline uint32_t f32_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bits_f32(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
uint16_t f32_to_f16_bits(float f);   // round-to-nearest-even, handles inf/nan/subnormals
float f16_bits_to_f32(uint16_t h);
}  // namespace detail

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) {  // NOLINT: implicit like a builtin float type
    uint32_t u = detail::f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) { bits = static_cast<uint16_t>((u >> 16) | 0x40); return; }  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
    bits = static_cast<uint16_t>(u >> 16);
  }
  operator float() const { return detail::bits_f32(static_cast<uint32_t>(bits) << 16); }
  static BFloat16 from_bits(uint16_t b) { BFloat16 r; r.bits = b; return r; }
};

struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f) : bits(detail::f32_to_f16_bits(f)) {}  // NOLINT
  operator float() const { return detail::f16_bits_to_f32(bits); }
  static Half from_bits(uint16_t b) { Half r; r.bits = b; return r; }
};

}  // namespace ember
