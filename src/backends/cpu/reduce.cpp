// CPU reduction kernel: one output per kept position, threaded over outputs (the reference
// loops), with a fast path for summing leading rows (a bias gradient: (rows, K) -> (K)).
#include <cmath>
#include <limits>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/fast_path.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/reduce.h"

namespace ember::cpu {
namespace {
using kernels::ReduceOp;

/// Sums over leading rows when the kept dims are one contiguous run of K elements and the
/// reduced dims flatten to R rows R stride apart: out[k] = sum_r x[r * stride + k]. The reference
/// loop walks each column down the rows (one cache line per element); this walks the rows of a
/// block of columns with a vector of accumulators, in the same order per column and in double as
/// the reference does, so the result is the same bit for bit. Returns false when the layout does
/// not fit.
template <class T>
bool sum_rows_fast(const TensorArg& in, int64_t nred, const TensorArg& out) {
  const int64_t nkeep = in.dim() - nred;
  if (nkeep < 1 || nred < 1) return false;
  int64_t K = 1;
  for (int64_t d = nkeep - 1; d >= 0; --d) {  // kept dims: one contiguous run
    if (in.sizes[d] == 1) continue;
    if (in.strides[d] != K) return false;
    K *= in.sizes[d];
  }
  int64_t R = 1, stride = 0;
  for (int64_t d = in.dim() - 1; d >= nkeep; --d) {  // reduced dims: one run of rows
    if (in.sizes[d] == 1) continue;
    if (R > 1 && in.strides[d] != stride * R) return false;
    if (R == 1) stride = in.strides[d];
    R *= in.sizes[d];
  }
  if (K < 16 || R < 2) return false;
  const T* x = ptr<const T>(in);
  T* o = ptr<T>(out);
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (K + kBlock - 1) / kBlock;
  parallel_for(blocks, std::max<int64_t>(1, kGrainSize / (R * kBlock)), [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t k0 = blk * kBlock, n = std::min(kBlock, K - k0);
      double acc[kBlock] = {};
      for (int64_t r = 0; r < R; ++r) {
        const T* row = x + r * stride + k0;
        for (int64_t k = 0; k < n; ++k) acc[k] += static_cast<double>(row[k]);
      }
      for (int64_t k = 0; k < n; ++k) o[k0 + k] = static_cast<T>(acc[k]);
    }
  });
  return true;
}

template <class T>
void reduce_typed(ReduceOp op, const TensorArg& in, int64_t nred, const TensorArg& out, const TensorArg* indices) {
  const int64_t nd = in.dim();
  const int64_t nkeep = nd - nred;
  Shape keep_sizes(in.sizes.begin(), in.sizes.begin() + nkeep), keep_strides(in.strides.begin(), in.strides.begin() + nkeep);
  Shape red_sizes(in.sizes.begin() + nkeep, in.sizes.end()), red_strides(in.strides.begin() + nkeep, in.strides.end());
  const int64_t n_out = shape_numel(keep_sizes), n_red = shape_numel(red_sizes);
  Shape red_contig = contiguous_strides(red_sizes);
  bool red_flat = true;  // reduced block is one contiguous run
  {
    int64_t expected = 1;
    for (int64_t d = nred - 1; d >= 0; --d) {
      if (red_sizes[d] == 1) continue;
      if (red_strides[d] != expected) red_flat = false;
      expected *= red_sizes[d];
    }
  }
  const T* x = ptr<const T>(in);
  using A = std::conditional_t<std::is_floating_point_v<acc_t<T>>, double, std::conditional_t<std::is_same_v<T, bool>, int64_t, acc_t<T>>>;
  int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n_red, 1));
  Shape out_strides = contiguous_strides(keep_sizes);
  parallel_for(n_out, grain, [&](int64_t b, int64_t e) {
    for_each_offset<2>(keep_sizes, {&keep_strides, &out_strides}, b, e, [&](const std::array<int64_t, 2>& o) {
      const T* base = x + o[0];
      auto visit = [&](auto&& f) {
        if (red_flat) {
          for (int64_t j = 0; j < n_red; ++j) f(base[j], j);
        } else {
          int64_t j = 0;
          for_each_offset<1>(red_sizes, {&red_strides}, 0, n_red, [&](const std::array<int64_t, 1>& r) { f(base[r[0]], j++); });
        }
      };
      int64_t oi = o[1];
      switch (op) {
        case ReduceOp::Sum: {
          A acc = 0;
          visit([&](T v, int64_t) { acc += static_cast<A>(static_cast<acc_t<T>>(v)); });
          if constexpr (std::is_same_v<T, bool>) ptr<T>(out)[oi] = acc != 0;
          else ptr<T>(out)[oi] = static_cast<T>(static_cast<acc_t<T>>(acc));
          break;
        }
        case ReduceOp::Max:
        case ReduceOp::Min: {
          bool is_max = op == ReduceOp::Max;
          acc_t<T> best{};
          int64_t best_i = -1;
          bool nan_found = false;
          visit([&](T v, int64_t j) {
            acc_t<T> a = v;
            if (nan_found) return;
            if constexpr (std::is_floating_point_v<acc_t<T>>) {
              if (std::isnan(a)) { best = a; best_i = j; nan_found = true; return; }
            }
            if (best_i < 0 || (is_max ? a > best : a < best)) { best = a; best_i = j; }
          });
          ptr<T>(out)[oi] = static_cast<T>(best);
          if (indices) ptr<int64_t>(*indices)[oi] = best_i;
          break;
        }
        case ReduceOp::Any:
        case ReduceOp::All: {
          bool any = false, all = true;
          visit([&](T v, int64_t) {
            bool nz = static_cast<acc_t<T>>(v) != acc_t<T>(0);
            any = any || nz;
            all = all && nz;
          });
          ptr<bool>(out)[oi] = op == ReduceOp::Any ? any : all;
          break;
        }
      }
    });
  });
}

void reduce_kernel(ReduceOp op, const TensorArg& in, int64_t n_reduced, const TensorArg& out, const TensorArg* indices) {
  if (op == ReduceOp::Sum && fast_paths_enabled() && out.dtype == in.dtype) {
    if (in.dtype == DType::Float32 && sum_rows_fast<float>(in, n_reduced, out)) return;
    if (in.dtype == DType::Float64 && sum_rows_fast<double>(in, n_reduced, out)) return;
  }
  EMBER_DISPATCH_ALL(in.dtype, "reduce", { reduce_typed<scalar_t>(op, in, n_reduced, out, indices); });
}

}  // namespace

void register_reduce_kernels(KernelTable& t) { t.set(kernels::kReduce, reduce_kernel); }

}  // namespace ember::cpu
