// The CUDA backend itself on cuda:0: device info (with NVML counters), the caching allocator,
// host<->device copies larger than the pinned staging ring, clear errors (out of memory, bad
// targets), mixed-precision support, and the fused multi-tensor optimizer updates against the
// CPU's fused loops bit for bit. Skipped, with the backend's reason, without a CUDA device.
#include <cmath>
#include <cstring>
#include <map>

#include "backends/cuda/cuda_test_util.h"
#include "backends/cuda/optim.cuh"
#include "core/caching_allocator.h"
#include "core/kernels/tensor_arg.h"
#include "ember/amp.h"
#include "optim/update_kernels.h"

using namespace ember;
using namespace ember::test;

TEST(CudaBackend, DeviceIsListedWithItsProperties) {
  EMBER_REQUIRE_CUDA();
  bool found = false;
  for (const DeviceInfo& d : list_devices()) {
    if (d.device != cuda0()) continue;
    found = true;
    EXPECT_FALSE(d.name.empty());
    EXPECT_EQ(d.vendor, "NVIDIA");
    EXPECT_GT(d.compute_units, 0);
    EXPECT_GT(d.memory_total, 0u);
    EXPECT_LE(d.memory_free, d.memory_total);
    std::map<std::string, std::string> p(d.properties.begin(), d.properties.end());
    EXPECT_TRUE(p.count("compute_capability") && p.count("cudnn_version") && p.count("tf32"));
    // NVML ships with the driver: with a GPU its counters are there, or it says why not.
    EXPECT_TRUE(p.count("power_w") || p.count("nvml")) << "no NVML reading and no reason";
  }
  EXPECT_TRUE(found);
}

TEST(CudaBackend, CachingAllocatorReusesFreedBuffers) {
  // The cache itself is tested once (tests/core/caching_allocator_test.cpp); here: this
  // backend's policy (granules, reuse of a block up to 25% larger) over real device memory.
  EMBER_REQUIRE_CUDA();
  auto* a = dynamic_cast<CachingAllocator*>(&get_backend(cuda0()).buffers());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->round(513), 1024u);
  a->empty_cache();
  const size_t mib = size_t{1} << 20, held = a->stats().in_use_bytes;  // e.g. a workspace
  void* big = a->allocate(mib + 200 * 1024);  // a 1.25 MiB block
  a->deallocate(big, mib + 200 * 1024);
  void* again = a->allocate(mib);  // fits in 25% more: the cached block comes back
  EXPECT_EQ(again, big);
  EXPECT_EQ(a->stats().in_use_bytes - held, mib + 256 * 1024);
  a->deallocate(again, mib);
  a->empty_cache();
  EXPECT_EQ(a->cached_bytes(), 0u);
}

TEST(CudaBackend, LargeCopiesRoundTripExactly) {
  EMBER_REQUIRE_CUDA();
  const int64_t n = (int64_t{5} << 20) + 3;  // 20 MiB of float32: many staging chunks
  Tensor h = uniform({n}, -1e6, 1e6, 4).to(kFloat32);
  Tensor d = h.to(cuda0());
  Tensor back = d.to(Device());
  ASSERT_EQ(std::memcmp(back.raw_data(), h.raw_data(), static_cast<size_t>(n) * 4), 0);
  // A strided device copy and a conversion on the way.
  Tensor m = uniform({300, 200}, -1, 1, 5);
  EXPECT_ALLCLOSE(m.to(cuda0()).t().contiguous().to(Device()), m.t().contiguous(), 0, 0);
  EXPECT_ALLCLOSE(m.to(cuda0()).to(kFloat32).to(Device()), m.to(kFloat32), 0, 0);
}

TEST(CudaBackend, OutOfMemoryIsAClearError) {
  EMBER_REQUIRE_CUDA();
  EXPECT_EMBER_ERROR(zeros({int64_t{1} << 42}, TensorOptions().with_device(cuda0())), "cuda:0", "cannot allocate");
  Tensor ok = ones({4}, TensorOptions().with_device(cuda0()));  // the device still works
  EXPECT_EQ(sum(ok).item(), 4.0);
}

TEST(CudaBackend, BadTargetsAreClearErrors) {
  EMBER_REQUIRE_CUDA();
  Tensor logits = uniform({3, 5}).to(cuda0());
  Tensor target = from_vector(std::vector<int64_t>{0, 7, 1}, {3}).to(cuda0());
  EXPECT_EMBER_ERROR(cross_entropy(logits, target), "cross_entropy", "target 7", "index 1", "[0, 5)");
  EXPECT_EMBER_ERROR(nll_loss(log_softmax(logits, 1), target), "nll_loss", "target 7");
  Tensor good = from_vector(std::vector<int64_t>{0, 4, 1}, {3}).to(cuda0());
  EXPECT_TRUE(std::isfinite(cross_entropy(logits, good).item()));  // the error flag was cleared
}

TEST(CudaBackend, ReportsNativeLowPrecision) {
  EMBER_REQUIRE_CUDA();
  EXPECT_EQ(amp::precision_support(cuda0(), kFloat16).support, amp::PrecisionSupport::Native);
  Tensor a = uniform({64, 32}).to(kBFloat16), b = uniform({32, 48}).to(kBFloat16);
  EXPECT_ALLCLOSE(matmul(a.to(cuda0()), b.to(cuda0())).to(Device()).to(kFloat32),
                  matmul(a.to(kFloat32), b.to(kFloat32)), 2e-2, 2e-2);
}

namespace {
/// n-element float tensors of dtype t: CPU originals and their cuda:0 copies.
struct Pair {
  Tensor cpu, gpu;
};
Pair pair(int64_t n, DType t, uint64_t seed, double lo = -1, double hi = 1) {
  Tensor c = uniform({n}, lo, hi, seed).to(t);
  return {c, c.to(cuda0())};
}
::testing::AssertionResult bitwise_equal(const Tensor& gpu, const Tensor& cpu) {
  Tensor g = gpu.to(Device());
  if (std::memcmp(g.raw_data(), cpu.raw_data(), static_cast<size_t>(cpu.numel()) * dtype_size(cpu.dtype())) == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "differs from the CPU: " << allclose(g, cpu, 0, 0).message();
}
}  // namespace

TEST(CudaBackend, FusedAdamEqualsCpuBitForBit) {
  EMBER_REQUIRE_CUDA();
  for (DType t : {kFloat32, kFloat64}) {
    const std::vector<int64_t> sizes = {1, 16384, 16385, 40000};  // around the 16384-element chunks
    std::vector<Pair> p, m, v;
    for (size_t i = 0; i < sizes.size(); ++i) {
      p.push_back(pair(sizes[i], t, 10 + i));
      m.push_back(pair(sizes[i], t, 20 + i, -0.1, 0.1));
      v.push_back(pair(sizes[i], t, 30 + i, 0.0, 0.1));
    }
    for (int64_t step = 1; step <= 3; ++step) {
      std::vector<cuda::AdamSlot> slots;
      std::vector<Pair> g;
      for (size_t i = 0; i < sizes.size(); ++i) g.push_back(pair(sizes[i], t, 100 * step + i));
      for (size_t i = 0; i < sizes.size(); ++i)
        slots.push_back({arg_of(p[i].gpu), arg_of(g[i].gpu), arg_of(m[i].gpu), arg_of(v[i].gpu)});
      const cuda::AdamHyper h{1e-3, 0.9, 0.999, 1e-8, 1e-2, true, step};
      cuda::fused_adam(slots, h);
      for (size_t i = 0; i < sizes.size(); ++i)
        optim::kernels::adam_fused(p[i].cpu, g[i].cpu, m[i].cpu, v[i].cpu,
                                   {h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, h.decoupled, h.step});
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      EXPECT_TRUE(bitwise_equal(p[i].gpu, p[i].cpu)) << dtype_name(t) << " param " << i;
      EXPECT_TRUE(bitwise_equal(m[i].gpu, m[i].cpu)) << dtype_name(t) << " exp_avg " << i;
      EXPECT_TRUE(bitwise_equal(v[i].gpu, v[i].cpu)) << dtype_name(t) << " exp_avg_sq " << i;
    }
  }
}

TEST(CudaBackend, FusedSgdEqualsCpuBitForBit) {
  EMBER_REQUIRE_CUDA();
  for (DType t : {kFloat32, kFloat64}) {
    const std::vector<int64_t> sizes = {7, 20000};
    std::vector<Pair> p, buf;
    for (size_t i = 0; i < sizes.size(); ++i) p.push_back(pair(sizes[i], t, 40 + i)), buf.push_back(pair(sizes[i], t, 50 + i));
    for (int step = 0; step < 3; ++step) {
      std::vector<Pair> g;
      std::vector<cuda::SgdSlot> slots;
      for (size_t i = 0; i < sizes.size(); ++i) g.push_back(pair(sizes[i], t, 60 + 10 * step + i));
      for (size_t i = 0; i < sizes.size(); ++i) slots.push_back({arg_of(p[i].gpu), arg_of(g[i].gpu), arg_of(buf[i].gpu)});
      const cuda::SgdHyper h{0.05, 0.9, 0.1, 1e-3, true, step == 0};
      cuda::fused_sgd(slots, h);
      for (size_t i = 0; i < sizes.size(); ++i)
        optim::kernels::sgd_fused(p[i].cpu, g[i].cpu, buf[i].cpu, h.first,
                                  {h.lr, h.momentum, h.dampening, h.weight_decay, h.nesterov});
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      EXPECT_TRUE(bitwise_equal(p[i].gpu, p[i].cpu)) << dtype_name(t) << " param " << i;
      EXPECT_TRUE(bitwise_equal(buf[i].gpu, buf[i].cpu)) << dtype_name(t) << " buffer " << i;
    }
  }
}

TEST(CudaBackend, FusedUpdatesRejectMismatchedSlots) {
  EMBER_REQUIRE_CUDA();
  Tensor p = zeros({4}, TensorOptions().with_device(cuda0())), g = zeros({5}, TensorOptions().with_device(cuda0()));
  EXPECT_EMBER_ERROR(cuda::fused_adam({{arg_of(p), arg_of(g), arg_of(p), arg_of(p)}},
                                      cuda::AdamHyper{1e-3, 0.9, 0.999, 1e-8, 0, false, 1}),
                     "fused_adam", "slot 0", "grad");
}
