// exp over 8 floats at a time on GCC/Clang vector extensions (AVX2 with -march=x86-64-v3), for
// the softmax-heavy row kernels (attention). std::exp does not vectorise without -ffast-math;
// this is Cephes' expf: n = round(x / ln 2), r = x - n ln 2 (two-part ln 2), a degree-6
// polynomial in r, times 2^n built in the exponent bits. Relative error about 2 ulp on
// [-87, 88]; inputs below -87 give exactly 0 (a softmax's masked or vanishing terms), inputs
// above 88.37 give about 2^127.5 (softmax inputs are <= 0), NaN stays NaN. Also max and sum over a row, with a padded last block.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>

namespace ember::cpu::vec {

typedef float F8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));
inline constexpr int kF8 = 8;

inline F8 splat(float v) { return F8{v, v, v, v, v, v, v, v}; }
inline F8 load8(const float* p) {
  F8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, F8 v) { std::memcpy(p, &v, sizeof v); }
/// The first n (< 8) floats of p, the other lanes `pad`.
inline F8 load_partial(const float* p, int64_t n, float pad) {
  F8 v = splat(pad);
  std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(float));
  return v;
}
inline void store_partial(float* p, F8 v, int64_t n) { std::memcpy(p, &v, static_cast<size_t>(n) * sizeof(float)); }
/// mask ? a : b per lane (mask lanes all ones or all zeros, as comparisons give).
inline F8 select(I8 mask, F8 a, F8 b) { return (F8)(((I8)a & mask) | ((I8)b & ~mask)); }
inline F8 vmax(F8 a, F8 b) { return select(a > b, a, b); }
inline float hsum(F8 v) {
  float s = 0;
  for (int i = 0; i < kF8; ++i) s += v[i];
  return s;
}
inline float hmax(F8 v) {
  float m = v[0];
  for (int i = 1; i < kF8; ++i) m = v[i] > m ? v[i] : m;
  return m;
}

/// exp(x) per lane (see the top of the file).
inline F8 exp8(F8 x) {
  const I8 tiny = x < splat(-87.0f);
  const F8 xc = vmax(x, splat(-87.0f));
  const F8 xm = select(xc < splat(88.3762626647949f), xc, splat(88.3762626647949f));
  const F8 magic = splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const F8 n = (xm * splat(1.44269504088896341f) + magic) - magic;
  F8 r = xm - n * splat(0.693359375f);
  r = r - n * splat(-2.12194440e-4f);
  F8 p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  p = p * (r * r) + r + splat(1.0f);
  const I8 ni = __builtin_convertvector(n, I8);
  const F8 two_n = (F8)((ni + 127) << 23);
  const F8 y = p * two_n;
  return select(tiny, splat(0.0f), select(x == x, y, x));
}

/// Lanes j + 0..7 that are below n.
inline I8 lanes_below(int64_t j, int64_t n) {
  const int32_t r = static_cast<int32_t>(n - j < kF8 ? n - j : kF8);
  return I8{0, 1, 2, 3, 4, 5, 6, 7} < I8{r, r, r, r, r, r, r, r};
}

/// The 8 floats of row at j with the lanes at or past n set to pad. Reads the whole block when
/// it lies within the row's `len` readable floats (lanes past n may hold anything, NaN
/// included), else only the first n - j.
inline F8 load_masked(const float* row, int64_t j, int64_t n, int64_t len, float pad) {
  if (j + kF8 <= len) return select(lanes_below(j, n), load8(row + j), splat(pad));
  return load_partial(row + j, n - j, pad);
}

/// max of row[0, n) (n >= 1, len >= n floats readable); NaNs are ignored as std::max ignores a
/// NaN second operand.
inline float row_max(const float* row, int64_t n, int64_t len) {
  F8 m = splat(-std::numeric_limits<float>::infinity());
  int64_t j = 0;
  for (; j + kF8 <= n; j += kF8) m = vmax(m, load8(row + j));
  if (j < n) m = vmax(m, load_masked(row, j, n, len, -std::numeric_limits<float>::infinity()));
  return hmax(m);
}

}  // namespace ember::cpu::vec
