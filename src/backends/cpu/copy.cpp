// CPU copy/convert and fill kernels (any dtypes, any strides).
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/copy.h"

namespace ember::cpu {
namespace {

template <class Dst, class Src>
Dst convert(Src v) {
  if constexpr (std::is_same_v<Dst, bool>) return acc_t<Src>(v) != acc_t<Src>(0);
  else if constexpr (std::is_same_v<Dst, Half> || std::is_same_v<Dst, BFloat16>) return Dst(static_cast<float>(acc_t<Src>(v)));
  else return static_cast<Dst>(acc_t<Src>(v));
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
  t.set<kernels::CopyKernel>(kernels::kCopy, copy_kernel);
  t.set<kernels::FillKernel>(kernels::kFill, fill_kernel);
}

}  // namespace ember::cpu
