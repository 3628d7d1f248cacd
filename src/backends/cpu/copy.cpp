// CPU copy/convert and fill kernels (any dtypes, any strides).
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "backends/cpu/vec2x2.h"
#include "core/kernels/copy.h"
#include "core/memory_format.h"

namespace ember::cpu {
namespace {

template <class Dst, class Src>
Dst convert(Src v) {
  if constexpr (std::is_same_v<Dst, bool>) return acc_t<Src>(v) != acc_t<Src>(0);
  else if constexpr (std::is_same_v<Dst, Half> || std::is_same_v<Dst, BFloat16>) return Dst(static_cast<float>(acc_t<Src>(v)));
  else return static_cast<Dst>(acc_t<Src>(v));
}

/// Whether a is 4-D NCHW-contiguous or channels-last: its H and W merge into one dim of stride
/// a.strides[3] (stride[2] == W * stride[3]). Size-1 dims are fine either way.
bool planes_mergeable(const TensorArg& a) {
  return a.dim() == 4 && (a.contiguous() || is_channels_last(a)) && (a.sizes[2] == 1 || a.strides[2] == a.sizes[3] * a.strides[3]);
}

/// d[j*ld + i] = s[i*ls + j] for the 8x8 block at s (rows i, columns j): eight row loads, three
/// rounds of shuffles (pairs, quads, halves), eight row stores. Elements of 4 bytes, moved as bits.
template <class T>
inline void transpose8x8(const T* s, int64_t ls, T* d, int64_t ld) {
  static_assert(sizeof(T) == 4);
  using F = vec::Lanes<8>::U;
  F r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = vec::load<F>(s + i * ls);
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4)
    for (int k = 0; k < 2; ++k) {
      u[i + 2 * k] = __builtin_shufflevector(t[i + k], t[i + k + 2], 0, 1, 8, 9, 4, 5, 12, 13);
      u[i + 2 * k + 1] = __builtin_shufflevector(t[i + k], t[i + k + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    }
  for (int j = 0; j < 4; ++j) {
    vec::store(d + j * ld, F(__builtin_shufflevector(u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11)));
    vec::store(d + (j + 4) * ld, F(__builtin_shufflevector(u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15)));
  }
}

/// d[j*ld + i] = s[i*ls + j] for i < rows, j < cols: 8x8 register blocks, the ragged edges
/// element by element.
template <class T>
void transpose_plane(const T* s, int64_t rows, int64_t cols, int64_t ls, T* d, int64_t ld) {
  const int64_t r8 = rows - rows % 8, c8 = cols - cols % 8;
  for (int64_t i = 0; i < r8; i += 8) {
    for (int64_t j = 0; j < c8; j += 8) transpose8x8(s + i * ls + j, ls, d + j * ld + i, ld);
    for (int64_t j = c8; j < cols; ++j)
      for (int64_t k = i; k < i + 8; ++k) d[j * ld + k] = s[k * ls + j];
  }
  for (int64_t i = r8; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) d[j * ld + i] = s[i * ls + j];
}

/// NCHW <-> channels-last: per image a (C x HW) <-> (HW x C) transpose. Same 4-byte type on both
/// sides with unit strides where a transpose has them: 8x8 register blocks over slabs of 64
/// rows. Otherwise 16 channels at a time, so reads and writes both run along memory (the
/// generic strided loop below was ~1 ns an element).
template <class Src, class Dst>
void copy_transposing(const TensorArg& src, const TensorArg& dst) {
  const Src* s = ptr<const Src>(src);
  Dst* d = ptr<Dst>(dst);
  const int64_t N = dst.sizes[0], C = dst.sizes[1], HW = dst.sizes[2] * dst.sizes[3];
  const int64_t sn = src.strides[0], sc = src.strides[1], sp = src.strides[3];
  const int64_t dn = dst.strides[0], dc = dst.strides[1], dp = dst.strides[3];
  if constexpr (std::is_same_v<Src, Dst> && sizeof(Src) == 4) {
    // Rows of the source matrix: pixels when it is channels-last (sc == 1), else channels.
    const bool from_nhwc = sc == 1 && dp == 1, to_nhwc = sp == 1 && dc == 1;
    if (from_nhwc || to_nhwc) {
      const int64_t rows = from_nhwc ? HW : C, cols = from_nhwc ? C : HW;
      const int64_t ls = from_nhwc ? sp : sc, ld = from_nhwc ? dc : dp;
      constexpr int64_t kSlab = 64;
      const int64_t slabs = (rows + kSlab - 1) / kSlab;
      parallel_for(N * slabs, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, kSlab * cols)), [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const int64_t n = t / slabs, r0 = (t % slabs) * kSlab, r1 = std::min(rows, r0 + kSlab);
          transpose_plane(s + n * sn + r0 * ls, r1 - r0, cols, ls, d + n * dn + r0, ld);
        }
      });
      return;
    }
  }
  constexpr int64_t kTile = 16;
  const int64_t tiles = (C + kTile - 1) / kTile;
  parallel_for(N * tiles, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, kTile * HW)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t n = t / tiles, c0 = (t % tiles) * kTile, c1 = std::min(C, c0 + kTile);
      const Src* sb = s + n * sn;
      Dst* db = d + n * dn;
      for (int64_t p = 0; p < HW; ++p)
        for (int64_t c = c0; c < c1; ++c) db[c * dc + p * dp] = convert<Dst>(sb[c * sc + p * sp]);
    }
  });
}

template <class Src, class Dst>
void copy_typed(const TensorArg& src, const TensorArg& dst) {
  const Src* s = ptr<const Src>(src);
  Dst* d = ptr<Dst>(dst);
  int64_t n = dst.numel();
  // Both contiguous, or both dense in the same order (two channels-last tensors): a flat loop.
  if ((src.contiguous() && dst.contiguous()) || (src.strides == dst.strides && dst.dense())) {
    parallel_for(n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] = convert<Dst>(s[i]);
    });
    return;
  }
  if (planes_mergeable(src) && planes_mergeable(dst)) return copy_transposing<Src, Dst>(src, dst);
  parallel_for(n, kGrainSize, [&](int64_t b, int64_t e) {
    for_each_offset<2>(dst.sizes, {&src.strides, &dst.strides}, b, e,
                       [&](const std::array<int64_t, 2>& o) { d[o[1]] = convert<Dst>(s[o[0]]); });
  });
}

void copy_kernel(const TensorArg& src, const TensorArg& dst) {
  EMBER_CHECK(src.sizes == dst.sizes, "copy: sizes ", shape_str(src.sizes), " and ", shape_str(dst.sizes), " differ");
  EMBER_DISPATCH_ALL(src.dtype, "copy", {
    using S = scalar_t;
    EMBER_DISPATCH_ALL(dst.dtype, "copy", { copy_typed<S, scalar_t>(src, dst); });
  });
}

void fill_kernel(const TensorArg& dst, double value) {
  EMBER_DISPATCH_ALL(dst.dtype, "fill", {
    scalar_t v;
    if constexpr (std::is_same_v<scalar_t, bool>) v = value != 0.0;
    else if constexpr (std::is_same_v<scalar_t, Half> || std::is_same_v<scalar_t, BFloat16>) v = scalar_t(static_cast<float>(value));
    else v = static_cast<scalar_t>(value);
    scalar_t* d = ptr<scalar_t>(dst);
    parallel_for(dst.numel(), kGrainSize, [&](int64_t b, int64_t e) {
      if (dst.contiguous()) {
        for (int64_t i = b; i < e; ++i) d[i] = v;
      } else {
        for_each_offset<1>(dst.sizes, {&dst.strides}, b, e, [&](const std::array<int64_t, 1>& o) { d[o[0]] = v; });
      }
    });
  });
}

}  // namespace

void register_copy_kernels(KernelTable& t) {
  t.set(kernels::kCopy, copy_kernel);
  t.set(kernels::kFill, fill_kernel);
}

}  // namespace ember::cpu
