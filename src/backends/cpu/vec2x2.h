// 2x2 stride-2 windows on GCC/Clang vector extensions, for the float32 pooling kernels (plain
// and fused with batch norm). LeNet-sized rows (14 or 7 windows) are too short for the
// auto-vectoriser: it ran its scalar remainder, whose data-dependent branches cost ~10x more
// per window. Here L = 8 or 4 windows are one block, stride-2 columns are split with shuffles,
// and a row's last short block overlaps the previous one. Rows may also be bfloat16, widened to
// float on load and rounded to nearest even on store.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>
#if defined(__SSE4_1__)
#include <immintrin.h>
#endif

#include "ember/half.h"

namespace ember::cpu::vec {

using ember::BFloat16;

template <int L>
struct Lanes;
template <>
struct Lanes<8> {
  typedef float F __attribute__((vector_size(32)));
  typedef int32_t I __attribute__((vector_size(32)));
  typedef uint32_t U __attribute__((vector_size(32)));
  typedef uint8_t B __attribute__((vector_size(8)));
  typedef uint16_t H __attribute__((vector_size(16)));  // bfloat16 bits
  /// Even and odd elements of the 2L floats a, b.
  static F even(F a, F b) { return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14); }
  static F odd(F a, F b) { return __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15); }
  /// The first and second L of the interleaving e0 o0 e1 o1 ...
  static F first(F e, F o) { return __builtin_shufflevector(e, o, 0, 8, 1, 9, 2, 10, 3, 11); }
  static F second(F e, F o) { return __builtin_shufflevector(e, o, 4, 12, 5, 13, 6, 14, 7, 15); }
  static I lane() { return I{0, 1, 2, 3, 4, 5, 6, 7}; }
};
template <>
struct Lanes<4> {
  typedef float F __attribute__((vector_size(16)));
  typedef int32_t I __attribute__((vector_size(16)));
  typedef uint32_t U __attribute__((vector_size(16)));
  typedef uint8_t B __attribute__((vector_size(4)));
  typedef uint16_t H __attribute__((vector_size(8)));
  static F even(F a, F b) { return __builtin_shufflevector(a, b, 0, 2, 4, 6); }
  static F odd(F a, F b) { return __builtin_shufflevector(a, b, 1, 3, 5, 7); }
  static F first(F e, F o) { return __builtin_shufflevector(e, o, 0, 4, 1, 5); }
  static F second(F e, F o) { return __builtin_shufflevector(e, o, 2, 6, 3, 7); }
  static I lane() { return I{0, 1, 2, 3}; }
};

template <class V>
inline V load(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
inline void store(void* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

template <class To, class From>
inline To bitcast(const From& f) {
  static_assert(sizeof(To) == sizeof(From));
  To t;
  std::memcpy(&t, &f, sizeof t);
  return t;
}

/// L bfloat16 values (their bits) as floats: exact.
template <int L>
inline typename Lanes<L>::F widen(typename Lanes<L>::H h) {
  using I = typename Lanes<L>::I;
  return bitcast<typename Lanes<L>::F>(__builtin_convertvector(h, I) << 16);
}

/// L floats rounded to bfloat16 bits (round to nearest even, NaN kept quiet), as BFloat16 does.
template <int L>
inline typename Lanes<L>::H narrow(typename Lanes<L>::F f) {
  using I = typename Lanes<L>::I;
  using U = typename Lanes<L>::U;
  const U u = bitcast<U>(f);
  const U rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const I nan = (u & 0x7fffffffu) > 0x7f800000u;
  const U bits = nan ? (u >> 16) | 0x40u : rounded;
  return __builtin_convertvector(bits, typename Lanes<L>::H);
}

/// L one-byte codes (values 0..255) widened to int32 lanes. GCC 12 compiles
/// __builtin_convertvector between uint8 and int32 vectors into one scalar extract/insert per
/// lane (a third of the fused block's backward went there), so x86 builds use the single
/// zero-extending load (vpmovzxbd) and the generic form is only the fallback.
template <int L>
inline typename Lanes<L>::I load_codes(const uint8_t* p) {
  using I = typename Lanes<L>::I;
#if defined(__AVX2__)
  if constexpr (L == 8) return bitcast<I>(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
#endif
#if defined(__SSE4_1__)
  if constexpr (L == 4) {
    int32_t w;
    std::memcpy(&w, p, 4);
    return bitcast<I>(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(w)));
  }
#endif
  return __builtin_convertvector(load<typename Lanes<L>::B>(p), I);
}

/// Stores the low byte of each of L int32 lanes (each in 0..255) to p[0..L), the inverse of
/// load_codes (a byte shuffle on x86, for the same reason).
template <int L>
inline void store_codes(uint8_t* p, typename Lanes<L>::I v) {
#if defined(__AVX2__)
  if constexpr (L == 8) {
    const __m256i lows = _mm256_shuffle_epi8(
        bitcast<__m256i>(v), _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8,
                                              12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    const __m128i both = _mm_unpacklo_epi32(_mm256_castsi256_si128(lows), _mm256_extracti128_si256(lows, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), both);
    return;
  }
#endif
#if defined(__SSE4_1__)
  if constexpr (L == 4) {
    const int32_t w = _mm_cvtsi128_si32(
        _mm_shuffle_epi8(bitcast<__m128i>(v), _mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)));
    std::memcpy(p, &w, 4);
    return;
  }
#endif
  store(p, __builtin_convertvector(v, typename Lanes<L>::B));
}

/// L consecutive elements of a float32 or bfloat16 row, as floats.
template <int L>
inline typename Lanes<L>::F load_floats(const float* p) {
  return load<typename Lanes<L>::F>(p);
}
template <int L>
inline typename Lanes<L>::F load_floats(const BFloat16* p) {
  return widen<L>(load<typename Lanes<L>::H>(p));
}
/// Stores L floats to a float32 or (rounded) bfloat16 row.
template <int L>
inline void store_floats(float* p, typename Lanes<L>::F v) {
  store(p, v);
}
template <int L>
inline void store_floats(BFloat16* p, typename Lanes<L>::F v) {
  store(p, narrow<L>(v));
}

/// The portable store policy of kernels templated on one: store_floats.
struct PortableStore {
  template <int L, class E>
  static void store(E* p, typename Lanes<L>::F v) {
    store_floats<L>(p, v);
  }
};

#if defined(__x86_64__) && defined(__AVX2__)
#define EMBER_BF16_NATIVE 1
/// The target of functions that round float to bfloat16 with AVX512-BF16's vcvtneps2bf16 (one
/// instruction for narrow's ~10). Only functions carrying it may call NativeBf16Store, and only
/// when bf16_native_rounding() is true; mark them also flatten, so that the generic code they
/// instantiate is inlined into them rather than emitted (and shared) with AVX-512 in it.
#define EMBER_BF16_NATIVE_TARGET __attribute__((target("avx512f,avx512vl,avx512bf16")))
/// Whether this CPU has AVX512-BF16 with VL (Cooper Lake, Sapphire Rapids, Zen 4 and later).
inline bool bf16_native_rounding() {
  static const bool yes = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512vl");
  return yes;
}
/// Store policy rounding bfloat16 in hardware: round to nearest even as narrow, NaN kept quiet;
/// unlike narrow, a denormal float rounds to zero (the instruction reads denormals as zero, as
/// in PyTorch's vectorised conversion). Other types and widths store as PortableStore.
struct NativeBf16Store {
  template <int L, class E>
  EMBER_BF16_NATIVE_TARGET static void store(E* p, typename Lanes<L>::F v) {
    if constexpr (L == 8 && std::is_same_v<E, BFloat16>) {
      const __m128bh h = _mm256_cvtneps_pbh(bitcast<__m256>(v));
      std::memcpy(static_cast<void*>(p), &h, sizeof h);
    } else {
      store_floats<L>(p, v);
    }
  }
};
#endif

/// The 2x2 windows of L consecutive outputs: x0..x3 are each window's elements in row-major
/// order, read from input rows r0 and r1 at columns 2j, 2j+1 (2L floats of each row).
template <int L>
struct Windows {
  using V = Lanes<L>;
  typename V::F x0, x1, x2, x3;
  /// E: float or BFloat16 (widened exactly).
  template <class E>
  Windows(const E* r0, const E* r1) {
    using F = typename V::F;
    const F a = load_floats<L>(r0), b = load_floats<L>(r0 + L), c = load_floats<L>(r1), d = load_floats<L>(r1 + L);
    x0 = V::even(a, b), x1 = V::odd(a, b), x2 = V::even(c, d), x3 = V::odd(c, d);
  }
};

/// Interleaves the window columns y0 y1 (top row) and y2 y3 (bottom row) back into rows d0, d1
/// (2L floats each).
template <int L, class E>
inline void store_windows(E* d0, E* d1, typename Lanes<L>::F y0, typename Lanes<L>::F y1, typename Lanes<L>::F y2,
                          typename Lanes<L>::F y3) {
  using V = Lanes<L>;
  store_floats<L>(d0, V::first(y0, y1)), store_floats<L>(d0 + L, V::second(y0, y1));
  store_floats<L>(d1, V::first(y2, y3)), store_floats<L>(d1 + L, V::second(y2, y3));
}

/// Calls f(start) for blocks of L windows covering [0, n) (requires n >= L): whole blocks,
/// then one last block overlapping the previous one. f must be idempotent.
template <int L, class F>
inline void overlapping_blocks(int64_t n, F&& f) {
  int64_t j = 0;
  for (; j + L <= n; j += L) f(j);
  if (j < n) f(n - L);
}

/// Calls f.template operator()<L>(start) over a row of n windows with the widest block that fits
/// (8 or 4), and returns true; false (doing nothing) when n < 4.
template <class F>
inline bool for_blocks(int64_t n, F&& f) {
  if (n >= 8) overlapping_blocks<8>(n, [&](int64_t j) { f.template operator()<8>(j); });
  else if (n >= 4) overlapping_blocks<4>(n, [&](int64_t j) { f.template operator()<4>(j); });
  else return false;
  return true;
}

}  // namespace ember::cpu::vec
