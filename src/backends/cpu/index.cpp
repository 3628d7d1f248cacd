// CPU kernels for indexing along one dim: index_select / gather (reads, threaded over output
// elements) and index_add / scatter_add (accumulating writes, threaded over the positions
// outside the indexed dim so no two threads ever write the same output element).
// index_select and index_add have contiguous fast paths (row memcpy / row-wise accumulation).
#include <algorithm>
#include <cstring>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/fast_path.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/index.h"

namespace ember::cpu {
namespace {

/// Calls f(I{}) with I the C++ type of an int64/int32 index dtype.
template <class F>
void with_index_type(DType t, const char* op, F&& f) {
  if (t == DType::Int64) f(int64_t{});
  else if (t == DType::Int32) f(int32_t{});
  else EMBER_FAIL(op, ": index dtype must be int64 or int32, got ", dtype_name(t));
}

int64_t prod(const Shape& s, int64_t b, int64_t e) {
  int64_t p = 1;
  for (int64_t i = b; i < e; ++i) p *= s[i];
  return p;
}

/// A 1-D index seen as an index of out's rank: stride 0 everywhere except along d.
TensorArg broadcast_index(const TensorArg& index, int64_t d, const Shape& sizes) {
  TensorArg ex = index;
  ex.sizes = sizes;
  ex.strides.assign(sizes.size(), 0);
  ex.strides[d] = index.strides.empty() ? 0 : index.strides[0];
  return ex;
}

/// Reference gather: out[p] = in[p with coordinate d = index[p]], threaded over out elements.
template <class T, class I>
void gather_typed(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  Shape in_st = in.strides;
  const int64_t sd = in_st[d];
  in_st[d] = 0;  // the coordinate along d comes from the index
  const T* x = ptr<const T>(in);
  const I* ix = ptr<const I>(index);
  T* y = ptr<T>(out);
  parallel_for(index.numel(), kGrainSize, [&](int64_t b, int64_t e) {
    for_each_offset<3>(index.sizes, {&in_st, &index.strides, &out.strides}, b, e, [&](const std::array<int64_t, 3>& o) {
      y[o[2]] = x[o[0] + static_cast<int64_t>(ix[o[1]]) * sd];
    });
  });
}

/// Reference scatter-add: out[p with coordinate d = index[p]] += src[p]. Positions that differ
/// outside d never share a target, so threads split those positions and each walks d serially.
template <class T, class I>
void scatter_add_typed(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  Shape sizes, s_st, i_st, o_st;  // everything except dim d
  for (int64_t k = 0; k < index.dim(); ++k) {
    if (k == d) continue;
    sizes.push_back(index.sizes[k]);
    s_st.push_back(src.strides[k]);
    i_st.push_back(index.strides[k]);
    o_st.push_back(out.strides[k]);
  }
  const int64_t m = index.sizes[d], s_sd = src.strides[d], i_sd = index.strides[d], o_sd = out.strides[d];
  const T* x = ptr<const T>(src);
  const I* ix = ptr<const I>(index);
  T* y = ptr<T>(out);
  int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(m, 1));
  parallel_for(shape_numel(sizes), grain, [&](int64_t b, int64_t e) {
    for_each_offset<3>(sizes, {&s_st, &i_st, &o_st}, b, e, [&](const std::array<int64_t, 3>& o) {
      for (int64_t j = 0; j < m; ++j) {
        T& dst = y[o[2] + static_cast<int64_t>(ix[o[1] + j * i_sd]) * o_sd];
        dst = static_cast<T>(static_cast<acc_t<T>>(dst) + static_cast<acc_t<T>>(x[o[0] + j * s_sd]));
      }
    });
  });
}

template <class T, class I>
void index_select_typed(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  if (fast_paths_enabled() && in.contiguous()) {
    // in (outer, N, inner) -> out (outer, n, inner): one memcpy per output row.
    const int64_t outer = prod(in.sizes, 0, d), inner = prod(in.sizes, d + 1, in.dim());
    const int64_t N = in.sizes[d], n = index.sizes[0], is = index.strides[0];
    const T* x = ptr<const T>(in);
    const I* ix = ptr<const I>(index);
    T* y = ptr<T>(out);
    int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(inner, 1));
    parallel_for(outer * n, grain, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t o = r / n, i = r % n;
        std::memcpy(y + r * inner, x + (o * N + static_cast<int64_t>(ix[i * is])) * inner,
                    static_cast<size_t>(inner) * sizeof(T));
      }
    });
    return;
  }
  gather_typed<T, I>(in, d, broadcast_index(index, d, out.sizes), out);
}

template <class T, class I>
void index_add_typed(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  if (fast_paths_enabled() && src.contiguous() && out.contiguous()) {
    // src (outer, n, inner) into out (outer, N, inner). Threads own disjoint (outer, inner)
    // positions; each accumulates whole runs of a row for every index in turn.
    const int64_t outer = prod(out.sizes, 0, d), inner = prod(out.sizes, d + 1, out.dim());
    const int64_t N = out.sizes[d], n = index.sizes[0], is = index.strides[0];
    const T* x = ptr<const T>(src);
    const I* ix = ptr<const I>(index);
    T* y = ptr<T>(out);
    int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(n, 1));
    parallel_for(outer * inner, grain, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e;) {
        const int64_t o = p / inner, kb = p % inner, ke = std::min(inner, kb + (e - p));
        for (int64_t i = 0; i < n; ++i) {
          T* dst = y + (o * N + static_cast<int64_t>(ix[i * is])) * inner;
          const T* s = x + (o * n + i) * inner;
          for (int64_t k = kb; k < ke; ++k)
            dst[k] = static_cast<T>(static_cast<acc_t<T>>(dst[k]) + static_cast<acc_t<T>>(s[k]));
        }
        p += ke - kb;
      }
    });
    return;
  }
  scatter_add_typed<T, I>(src, d, broadcast_index(index, d, src.sizes), out);
}

void index_select_kernel(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  EMBER_DISPATCH_ALL(in.dtype, "index_select", {
    with_index_type(index.dtype, "index_select", [&](auto i) { index_select_typed<scalar_t, decltype(i)>(in, d, index, out); });
  });
}

void index_add_kernel(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  EMBER_DISPATCH_ALL(out.dtype, "index_add", {
    with_index_type(index.dtype, "index_add", [&](auto i) { index_add_typed<scalar_t, decltype(i)>(src, d, index, out); });
  });
}

void gather_kernel(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  EMBER_DISPATCH_ALL(in.dtype, "gather", {
    with_index_type(index.dtype, "gather", [&](auto i) { gather_typed<scalar_t, decltype(i)>(in, d, index, out); });
  });
}

void scatter_add_kernel(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  EMBER_DISPATCH_ALL(out.dtype, "scatter_add", {
    with_index_type(index.dtype, "scatter_add", [&](auto i) { scatter_add_typed<scalar_t, decltype(i)>(src, d, index, out); });
  });
}

}  // namespace

void register_index_kernels(KernelTable& t) {
  t.set(kernels::kIndexSelect, index_select_kernel);
  t.set(kernels::kIndexAdd, index_add_kernel);
  t.set(kernels::kGather, gather_kernel);
  t.set(kernels::kScatterAdd, scatter_add_kernel);
}

}  // namespace ember::cpu
