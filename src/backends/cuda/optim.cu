// Multi-tensor Adam/AdamW and SGD updates: the group's pointers and sizes go to the device in
// one small table, the grid covers every tensor's chunks, and each block finds its tensor by
// binary search over the chunk offsets. Compiled with --fmad=false (CMakeLists.txt).
#include <algorithm>

#include "backends/cuda/allocator.h"
#include "backends/cuda/device_types.cuh"
#include "backends/cuda/optim.cuh"

namespace ember::cuda {
namespace {

constexpr int64_t kChunk = 16384;  // elements per block

template <class T>
struct AdamMeta {
  T *p, *m, *v;
  const T* g;
  int64_t n, first_chunk;
};
template <class T>
struct SgdMeta {
  T *p, *buf;
  const T* g;
  int64_t n, first_chunk;
};

/// The table entry owning chunk c: the last with first_chunk <= c.
template <class Meta>
__device__ const Meta& owner(const Meta* metas, int count, int64_t c) {
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (metas[mid].first_chunk <= c) lo = mid;
    else hi = mid - 1;
  }
  return metas[lo];
}

template <class T>
__global__ void adam_kernel(const AdamMeta<T>* metas, int count, math::AdamScalars<T> s) {
  const AdamMeta<T>& t = owner(metas, count, blockIdx.x);
  const int64_t begin = (blockIdx.x - t.first_chunk) * kChunk, end = std::min(begin + kChunk, t.n);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) math::adam_step(t.p[i], t.g[i], t.m[i], t.v[i], s);
}

template <class T>
__global__ void sgd_kernel(const SgdMeta<T>* metas, int count, math::SgdScalars<T> s) {
  const SgdMeta<T>& t = owner(metas, count, blockIdx.x);
  const int64_t begin = (blockIdx.x - t.first_chunk) * kChunk, end = std::min(begin + kChunk, t.n);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) math::sgd_step(t.p[i], t.g[i], t.buf ? t.buf + i : nullptr, s);
}

void check_operand(const TensorArg& a, const TensorArg& p, int device, size_t slot, const char* what, const char* op) {
  EMBER_CHECK(a.data != nullptr && buffer_of(a)->device == device, op, ": slot ", slot, ": ", what,
              " must be on the group's CUDA device");
  EMBER_CHECK(a.dtype == p.dtype && a.numel() == p.numel() && a.contiguous(), op, ": slot ", slot, ": ", what,
              " must be contiguous with the parameter's dtype and numel");
}

/// Uploads the table and launches one block per chunk of every tensor.
template <class Meta, class Launch>
void run_table(DeviceContext& ctx, std::vector<Meta>& metas, Launch launch, const char* op) {
  int64_t chunks = 0;
  for (Meta& m : metas) {
    m.first_chunk = chunks;
    chunks += (m.n + kChunk - 1) / kChunk;
  }
  if (chunks == 0) return;
  EMBER_CHECK(chunks <= 0x7fffffff, op, ": too many elements for one launch");
  TempBuffer table(ctx, metas.size() * sizeof(Meta));
  ctx.allocator().copy_from_host(table.handle(), 0, metas.data(), metas.size() * sizeof(Meta));
  launch(static_cast<const Meta*>(table.get()), static_cast<int>(metas.size()), static_cast<unsigned>(chunks));
  check_launch(op);
}

}  // namespace

void fused_adam(const std::vector<AdamSlot>& slots, const AdamHyper& h) {
  const char* op = "fused_adam (cuda)";
  EMBER_CHECK(!slots.empty(), op, ": no parameters");
  const DType t = slots[0].param.dtype;
  EMBER_CHECK(t == DType::Float32 || t == DType::Float64, op, ": parameters must be float32 or float64, got ",
              dtype_name(t));
  DeviceContext& ctx = context_of(slots[0].param);
  auto build = [&](auto tag) {
    using T = decltype(tag);
    std::vector<AdamMeta<T>> metas;
    metas.reserve(slots.size());
    for (size_t i = 0; i < slots.size(); ++i) {
      const AdamSlot& s = slots[i];
      check_operand(s.param, slots[0].param, ctx.device(), i, "param", op);
      check_operand(s.grad, s.param, ctx.device(), i, "grad", op);
      check_operand(s.exp_avg, s.param, ctx.device(), i, "exp_avg", op);
      check_operand(s.exp_avg_sq, s.param, ctx.device(), i, "exp_avg_sq", op);
      metas.push_back({device_ptr<T>(s.param), device_ptr<T>(s.exp_avg), device_ptr<T>(s.exp_avg_sq),
                       device_ptr<const T>(s.grad), s.param.numel(), 0});
    }
    const auto sc = math::adam_scalars<T>(h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, h.decoupled, h.step);
    run_table(
        ctx, metas,
        [&](const AdamMeta<T>* table, int count, unsigned blocks) {
          adam_kernel<T><<<blocks, kBlock, 0, ctx.stream()>>>(table, count, sc);
        },
        op);
  };
  if (t == DType::Float32) build(float{});
  else build(double{});
}

void fused_sgd(const std::vector<SgdSlot>& slots, const SgdHyper& h) {
  const char* op = "fused_sgd (cuda)";
  EMBER_CHECK(!slots.empty(), op, ": no parameters");
  const DType t = slots[0].param.dtype;
  EMBER_CHECK(t == DType::Float32 || t == DType::Float64, op, ": parameters must be float32 or float64, got ",
              dtype_name(t));
  DeviceContext& ctx = context_of(slots[0].param);
  const bool momentum = h.momentum != 0;
  auto build = [&](auto tag) {
    using T = decltype(tag);
    std::vector<SgdMeta<T>> metas;
    metas.reserve(slots.size());
    for (size_t i = 0; i < slots.size(); ++i) {
      const SgdSlot& s = slots[i];
      check_operand(s.param, slots[0].param, ctx.device(), i, "param", op);
      check_operand(s.grad, s.param, ctx.device(), i, "grad", op);
      if (momentum) check_operand(s.momentum_buffer, s.param, ctx.device(), i, "momentum_buffer", op);
      metas.push_back({device_ptr<T>(s.param), momentum ? device_ptr<T>(s.momentum_buffer) : nullptr,
                       device_ptr<const T>(s.grad), s.param.numel(), 0});
    }
    const auto sc = math::sgd_scalars<T>(h.lr, h.momentum, h.dampening, h.weight_decay, h.nesterov, h.first);
    run_table(
        ctx, metas,
        [&](const SgdMeta<T>* table, int count, unsigned blocks) {
          sgd_kernel<T><<<blocks, kBlock, 0, ctx.stream()>>>(table, count, sc);
        },
        op);
  };
  if (t == DType::Float32) build(float{});
  else build(double{});
}

}  // namespace ember::cuda
