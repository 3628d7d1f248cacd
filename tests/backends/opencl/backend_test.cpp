// The OpenCL backend itself on opencl:0 (PoCL on CI): discovery and device info, clear errors
// (unknown device, out of memory, kernel build failure with its log), the caching allocator,
// the on-disk program cache, the asynchronous queue, the CPU fallback's one warning, and
// kernel coverage against the CPU backend.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "backends/opencl/buffers.h"
#include "core/backend.h"
#include "core/fallback.h"
#include "core/kernels/attention.h"
#include "core/kernels/copy.h"
#include "core/kernels/elementwise.h"
#include "core/kernels/fused.h"
#include "core/kernels/matmul.h"
#include "ops/dispatch.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {
const Device kDev("opencl:0");

opencl::ClDevice& cl_device() {
  Tensor t = zeros({1}, TensorOptions().with_device(kDev));
  return *static_cast<opencl::ClBuffer*>(t.impl()->storage->data)->device;
}
}  // namespace

TEST(OpenCLBackend, DeviceIsListedWithItsProperties) {
  bool found = false;
  for (const DeviceInfo& d : list_devices()) {
    if (d.device != kDev) continue;
    found = true;
    EXPECT_FALSE(d.name.empty());
    EXPECT_FALSE(d.vendor.empty());
    EXPECT_GT(d.compute_units, 0);
    EXPECT_GT(d.memory_total, 0u);
    bool version = false;
    for (auto& [k, v] : d.properties) version = version || (k == "opencl_version" && v.rfind("OpenCL ", 0) == 0);
    EXPECT_TRUE(version);
  }
  EXPECT_TRUE(found) << "no opencl:0 device: is an OpenCL driver (pocl-opencl-icd) installed?";
  bool reported = false;
  for (const BackendStatus& s : backend_statuses())
    if (s.name == "opencl") reported = s.built && s.available && s.devices >= 1;
  EXPECT_TRUE(reported);
}

TEST(OpenCLBackend, UnknownDeviceIsAClearError) {
  EXPECT_EMBER_ERROR(zeros({2}, TensorOptions().with_device(Device("opencl:99"))), "opencl:99", "not available",
                     "opencl:0");
}

TEST(OpenCLBackend, OutOfMemoryIsAClearError) {
  EXPECT_EMBER_ERROR(zeros({int64_t{1} << 40}, TensorOptions().with_device(kDev)), "opencl", "out of memory");
}

TEST(OpenCLBackend, KernelBuildFailureShowsTheBuildLog) {
  EXPECT_EMBER_ERROR(cl_device().build("__kernel void broken(__global float* x) { x[0] = undefined_name; }", "test"),
                     "build log", "undefined_name");
}

TEST(OpenCLBackend, BuffersComeFromTheSharedCachingAllocator) {
  // The cache itself is tested once (tests/core/caching_allocator_test.cpp); here: this
  // backend's policy, over real cl_mem buffers.
  auto* a = dynamic_cast<CachingAllocator*>(&get_backend(kDev).buffers());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->round(300), 512u);
  EXPECT_EQ(a->round((size_t{1} << 20) + 1), size_t{2} << 20);
  a->empty_cache();
  void* first = a->allocate(1000);
  a->deallocate(first, 1000);
  EXPECT_EQ(a->allocate(900), first);  // same size class: the cached buffer comes back
  EXPECT_EQ(static_cast<opencl::ClBuffer*>(first)->size, 1024u);
  a->deallocate(first, 900);
  a->empty_cache();
  EXPECT_EQ(a->stats().cached_bytes, 0u);
}

TEST(OpenCLBackend, ProgramsAreCachedOnDisk) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ember-cl-cache-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  ::setenv("EMBER_CACHE_DIR", dir.c_str(), 1);
  Tensor x = ones({4}, TensorOptions(DType::Int32).with_device(kDev));
  Tensor y = maximum(x, x);  // builds the int32 elementwise program in this process
  EXPECT_EQ(y.to(Device("cpu")).to_vector<int32_t>(), (std::vector<int32_t>(4, 1)));
  ::unsetenv("EMBER_CACHE_DIR");
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "opencl")) files += e.path().extension() == ".bin";
  EXPECT_GE(files, 1u);
  std::filesystem::remove_all(dir);
}

TEST(OpenCLBackend, QueuedWorkCompletesInOrder) {
  // Many small kernels queued without waiting; reading the result waits for all of them.
  Tensor x = zeros({1000}, TensorOptions().with_device(kDev));
  for (int i = 0; i < 200; ++i) x = add(x, 1.0);
  synchronize(kDev);
  Tensor h = x.to(Device("cpu"));
  EXPECT_ALLCLOSE(h, full({1000}, 200.0), 0, 0);
}

TEST(OpenCLBackend, FallbackWarnsOnceNamingTheKernel) {
  // Integer division must raise on a zero divisor, which a device kernel cannot: the OpenCL
  // binary kernel declines it (its registered predicate) and the dispatcher runs it on the CPU.
  // (The ops never divide integers: div() is true division.)
  Tensor a = arange(1.0, 9.0, 1.0, DType::Int64).to(kDev), b = full({8}, 2, TensorOptions(DType::Int64).with_device(kDev));
  Tensor q = zeros({8}, TensorOptions(DType::Int64).with_device(kDev));
  auto binary = ops::kernel<kernels::BinaryKernel>(kDev, kernels::kBinary);
  const uint64_t before = fallback::calls();
  testing::internal::CaptureStderr();
  binary(kernels::BinaryOp::Div, arg_of(a), arg_of(b), arg_of(q));
  binary(kernels::BinaryOp::Div, arg_of(b), arg_of(a), arg_of(q));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(fallback::calls() - before, 2u);
  EXPECT_EQ(q.to(Device("cpu")).to_vector<int64_t>(), (std::vector<int64_t>{2, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_NE(err.find("kernel 'binary'"), std::string::npos) << err;
  EXPECT_NE(err.find("opencl:0"), std::string::npos) << err;
  EXPECT_EQ(err.find("kernel 'binary'"), err.rfind("kernel 'binary'")) << err;
  // Division by zero still raises, as on the CPU.
  Tensor z = zeros({8}, TensorOptions(DType::Int64).with_device(kDev));
  EXPECT_EMBER_ERROR(binary(kernels::BinaryOp::Div, arg_of(a), arg_of(z), arg_of(q)), "division by zero");
}

TEST(OpenCLBackend, SupportsFollowsTheDevicesDtypes) {
  // float64 only with cl_khr_fp64 (otherwise the dispatcher runs float64 calls on the CPU);
  // 16-bit floats compute through float32; byte-moving kernels take every dtype.
  const Backend& b = get_backend(kDev);
  EXPECT_EQ(b.supports(kernels::kMatmul, kFloat64), cl_device().has_fp64());
  EXPECT_EQ(b.supports(kernels::kBinary, kFloat32, kFloat64), cl_device().has_fp64());
  EXPECT_TRUE(b.supports(kernels::kMatmul, kFloat32, kBFloat16, kFloat16));
  EXPECT_TRUE(b.supports(kernels::kBinary, kInt64, kBool));  // integer division is declined per call
  EXPECT_TRUE(b.supports(kernels::kFill, kFloat64));
  // The optional attention row kernels are there (scaled_dot_product_attention runs them, not
  // its composed form).
  EXPECT_TRUE(b.supports(kernels::kAttentionSoftmax, kFloat32, kBFloat16));
  EXPECT_TRUE(b.supports(kernels::kAttentionSoftmaxBackward, kFloat32, kBFloat16));
}

TEST(OpenCLBackend, Float64WithoutFp64RunsOnTheCpuWithOneWarning) {
  // EMBER_OPENCL_FP64=0 makes opencl:0 a device without cl_khr_fp64, when set before the
  // backend registers (ctest runs each test in its own process; run alone, it skips otherwise).
  ::setenv("EMBER_OPENCL_FP64", "0", 1);
  const bool fp64 = cl_device().has_fp64();
  ::unsetenv("EMBER_OPENCL_FP64");
  if (fp64) GTEST_SKIP() << "opencl:0 registered before EMBER_OPENCL_FP64=0 was set";
  EXPECT_FALSE(get_backend(kDev).supports(kernels::kMatmul, kFloat64));
  Tensor a = arange(0.0, 6.0, 1.0, kFloat64).reshape({2, 3}), b = arange(1.0, 7.0, 1.0, kFloat64).reshape({3, 2});
  Tensor da = a.to(kDev), db = b.to(kDev);
  uint64_t before = fallback::calls();
  testing::internal::CaptureStderr();
  Tensor c1 = matmul(da, db), c2 = matmul(db, da);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_GE(fallback::calls() - before, 2u);
  EXPECT_ALLCLOSE(c1.to(Device("cpu")), matmul(a, b), 0, 0);
  EXPECT_ALLCLOSE(c2.to(Device("cpu")), matmul(b, a), 0, 0);
  EXPECT_NE(err.find("kernel 'matmul' is not implemented for float64 on opencl:0"), std::string::npos) << err;
  EXPECT_EQ(err.find("kernel 'matmul'"), err.rfind("kernel 'matmul'")) << err;
  // float32 still runs on the device.
  Tensor fa = a.to(kFloat32).to(kDev), fb = b.to(kFloat32).to(kDev);
  before = fallback::calls();
  Tensor f = matmul(fa, fb);
  EXPECT_EQ(fallback::calls(), before);
  EXPECT_ALLCLOSE(f.to(Device("cpu")).to(kFloat64), matmul(a, b), 0, 1e-5);
}

TEST(OpenCLBackend, EveryCpuKernelHasAnOpenCLKernel) {
  std::vector<std::string> cpu = get_backend(Device("cpu")).kernels().names();
  std::vector<std::string> cl = get_backend(kDev).kernels().names();
  std::string missing;
  for (const std::string& k : cpu)  // fused kernels are optional: the ops compose them otherwise
    if (!kernels::is_optional_kernel(k) && std::find(cl.begin(), cl.end(), k) == cl.end()) missing += " " + k;
  EXPECT_TRUE(missing.empty()) << "kernels opencl:0 lacks (they run through the CPU fallback):" << missing;
}

// The recurrent layers run their fused gate kernels on the device (optional kernels: without
// them the layers would be composed from other ops and still match the CPU, so the backend
// cases alone would not show it).
TEST(OpenCLBackend, RunsTheRecurrentGateKernels) {
  Backend& b = get_backend(kDev);
  for (DType t : {kFloat32, kFloat64}) {
    EXPECT_TRUE(b.supports(kernels::kLstmCellForward, t)) << dtype_name(t);
    EXPECT_TRUE(b.supports(kernels::kLstmCellBackward, t)) << dtype_name(t);
    EXPECT_TRUE(b.supports(kernels::kGruCellForward, t)) << dtype_name(t);
    EXPECT_TRUE(b.supports(kernels::kGruCellBackward, t)) << dtype_name(t);
  }
  EXPECT_FALSE(b.supports(kernels::kLstmCellForward, kBFloat16));
}
