// oneDNN matmul fast path: builds (once per layout) and runs a dnnl matmul primitive with
// optional bias, alpha (eltwise_linear post-op) and beta (sum post-op).
#include "backends/cpu/onednn/matmul.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "backends/cpu/onednn/onednn_common.h"

namespace ember::cpu::onednn {
namespace {

struct Entry {
  std::optional<dnnl::matmul> prim;  // nullopt: oneDNN cannot do this layout well
  dnnl::memory::desc a, b, c, bias;
};

std::mutex cache_mutex;
std::unordered_map<std::string, Entry> cache;  // key: dtype, sizes, strides, alpha, beta
std::atomic<uint64_t> fast_calls{0};
constexpr size_t kMaxCached = 512;

/// Sizes/strides for oneDNN: batch dims broadcast with stride 0 become size 1, and size-1
/// dims get the dense stride (oneDNN's optimised kernels only accept plain-looking layouts).
void shape_for_dnnl(const TensorArg& t, Shape& sizes, Shape& strides) {
  sizes = t.sizes;
  strides = t.strides;
  const int64_t nd = static_cast<int64_t>(sizes.size());
  for (int64_t d = 0; d + 2 < nd; ++d)
    if (strides[d] == 0) sizes[d] = 1;
  for (int64_t d = nd - 1; d >= 0; --d)
    if (sizes[d] == 1) strides[d] = d == nd - 1 ? 1 : std::max<int64_t>(1, sizes[d + 1] * strides[d + 1]);
}

void append_key(std::string& key, const Shape& s) {
  for (int64_t v : s) key += std::to_string(v) + ',';
  key += ';';
}

Entry build(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
            double beta) {
  Entry e;
  Shape sa, ta, sb, tb, sc, tc;
  shape_for_dnnl(a, sa, ta);
  shape_for_dnnl(b, sb, tb);
  shape_for_dnnl(c, sc, tc);
  e.a = desc_of(sa, ta, a.dtype);
  e.b = desc_of(sb, tb, b.dtype);
  e.c = desc_of(sc, tc, c.dtype);
  if (bias) {
    const size_t nd = c.sizes.size();
    Shape bs(nd, 1), bst(nd, bias->sizes[0] * bias->strides[0]);
    bs[nd - 1] = bias->sizes[0];
    bst[nd - 1] = bias->strides[0];
    e.bias = desc_of(bs, bst, bias->dtype);
  }
  dnnl::post_ops po;
#if DNNL_VERSION_MAJOR >= 3
  if (alpha != 1.0) po.append_eltwise(dnnl::algorithm::eltwise_linear, static_cast<float>(alpha), 0.f);
#else
  if (alpha != 1.0) po.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, static_cast<float>(alpha), 0.f);
#endif
  if (beta != 0.0) po.append_sum(static_cast<float>(beta));
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  try {
#if DNNL_VERSION_MAJOR >= 3
    dnnl::matmul::primitive_desc pd(engine(), e.a, e.b, e.bias, e.c, attr);
#else
    dnnl::matmul::desc d(e.a, e.b, e.bias, e.c);
    dnnl::matmul::primitive_desc pd(d, attr, engine());
#endif
    if (!is_reference_impl(pd)) e.prim = dnnl::matmul(pd);
  } catch (const dnnl::error&) {
    // unimplemented for this dtype/layout on this CPU: the reference loops take it
  }
  return e;
}

}  // namespace

bool matmul(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
            double beta) {
  const size_t nd = c.sizes.size();
  if (c.dtype == DType::Float64 || !data_type(c.dtype) || nd > DNNL_MAX_NDIMS || nd < 2) return false;
  if (c.numel() == 0 || a.sizes[nd - 1] == 0) return false;
  for (const TensorArg* t : {&a, &b, &c})  // matrix dims must be real (no stride-0 broadcast)
    for (size_t d = nd - 2; d < nd; ++d)
      if (t->strides[d] == 0 && t->sizes[d] != 1) return false;
  if (bias && bias->strides[0] == 0 && bias->sizes[0] != 1) return false;

  std::string key = std::to_string(static_cast<int>(c.dtype)) + '|' +
                    std::to_string(std::bit_cast<uint64_t>(alpha)) + '|' + std::to_string(std::bit_cast<uint64_t>(beta)) +
                    '|' + (bias ? std::to_string(bias->strides[0]) : "-") + '|';
  for (const TensorArg* t : {&a, &b, &c}) {
    append_key(key, t->sizes);
    append_key(key, t->strides);
  }
  Entry entry;
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto it = cache.find(key);
    if (it == cache.end()) {
      if (cache.size() >= kMaxCached) cache.clear();
      it = cache.emplace(key, build(a, b, c, bias, alpha, beta)).first;
    }
    entry = it->second;
  }
  if (!entry.prim) return false;
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, memory_of(a, entry.a)},
                                             {DNNL_ARG_WEIGHTS, memory_of(b, entry.b)},
                                             {DNNL_ARG_DST, memory_of(c, entry.c)}};
  if (bias) args.emplace(DNNL_ARG_BIAS, memory_of(*bias, entry.bias));
  entry.prim->execute(stream(), args);
  stream().wait();
  fast_calls.fetch_add(1, std::memory_order_relaxed);
  return true;
}

uint64_t matmul_fast_calls() { return fast_calls.load(std::memory_order_relaxed); }

size_t matmul_cache_size() {
  std::lock_guard<std::mutex> lock(cache_mutex);
  return cache.size();
}

}  // namespace ember::cpu::onednn
