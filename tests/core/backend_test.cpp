// Backend interface tests: a fake device whose buffers are opaque handles (not host pointers)
// proves that core moves data only through the BufferAllocator and finds kernels only through
// the kernel table; a kernel the device lacks, or lacks for an operand's dtype, or declines,
// runs on the CPU with a one-time warning; kernel keys type registration and lookup.
#include <cstring>

#include <type_traits>

#include "core/backend.h"
#include "core/fallback.h"
#include "core/kernels/copy.h"
#include "core/kernels/elementwise.h"
#include "harness/op_harness.h"
#include "ops/dispatch.h"

using namespace ember;
using namespace ember::test;

namespace {

// A buffer handle that is NOT the address of the data: dereferencing it as data would be a bug.
struct FakeBuffer {
  uint32_t magic = 0xfeedbeef;
  std::vector<char> bytes;
};

FakeBuffer* fb(void* h) {
  auto* b = static_cast<FakeBuffer*>(h);
  EXPECT_EQ(b->magic, 0xfeedbeefu);
  return b;
}

class FakeAllocator : public BufferAllocator {
 public:
  void* allocate(size_t n) override { live++; auto* b = new FakeBuffer; b->bytes.resize(n); return b; }
  void deallocate(void* p, size_t) override { live--; delete fb(p); }
  void copy_from_host(void* dst, size_t off, const void* src, size_t n) override {
    uploads++;
    std::memcpy(fb(dst)->bytes.data() + off, src, n);
  }
  void copy_to_host(void* dst, const void* src, size_t off, size_t n) override {
    downloads++;
    std::memcpy(dst, fb(const_cast<void*>(src))->bytes.data() + off, n);
  }
  void copy_within(void* dst, size_t doff, const void* src, size_t soff, size_t n) override {
    std::memmove(fb(dst)->bytes.data() + doff, fb(const_cast<void*>(src))->bytes.data() + soff, n);
  }
  int live = 0, uploads = 0, downloads = 0;
};

struct NoStream : Stream {
  void synchronize() override {}
};

// Kernels translate handles to host pointers and reuse the CPU reference kernels.
TensorArg host_view(const TensorArg& a) {
  TensorArg h = a;
  h.data = fb(a.data)->bytes.data();
  return h;
}
void fake_copy(const TensorArg& s, const TensorArg& d) {
  get_backend(Device("cpu")).kernels().get(kernels::kCopy)(host_view(s), host_view(d));
}
void fake_fill(const TensorArg& d, double v) {
  get_backend(Device("cpu")).kernels().get(kernels::kFill)(host_view(d), v);
}

// A unary kernel computing in every dtype but float64 (as OpenCL without cl_khr_fp64), and a
// where kernel that declines int32 operands (as OpenCL declines integer division).
int* g_unary_calls = nullptr;
int* g_where_calls = nullptr;
void fake_unary(kernels::UnaryOp op, const TensorArg& in, const TensorArg& out, double p0, double p1) {
  ++*g_unary_calls;
  get_backend(Device("cpu")).kernels().get(kernels::kUnary)(op, host_view(in), host_view(out), p0, p1);
}
void fake_where(const TensorArg& c, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  ++*g_where_calls;
  get_backend(Device("cpu")).kernels().get(kernels::kWhere)(host_view(c), host_view(a), host_view(b), host_view(out));
}
const char* declines_int32(const TensorArg&, const TensorArg& a, const TensorArg&, const TensorArg&) {
  return a.dtype == kInt32 ? "declines int32 (test)" : nullptr;
}

class FakeBackend : public Backend {
 public:
  Device device() const override { return Device(DeviceKind::OpenCL, 9); }
  DeviceInfo info() const override {
    DeviceInfo i;
    i.device = device();
    i.name = "fake";
    i.kind = "gpu";
    return i;
  }
  BufferAllocator& buffers() override { return alloc; }
  Stream& stream() override { return stream_; }
  FakeAllocator alloc;
  NoStream stream_;
  int unary_calls = 0, where_calls = 0;
};

FakeBackend& fake() {
  static FakeBackend* b = [] {
    auto p = std::make_unique<FakeBackend>();
    p->kernels().set(kernels::kCopy, fake_copy);
    p->kernels().set(kernels::kFill, fake_fill);
    p->kernels().set(kernels::kUnary, fake_unary, all_dtypes_but(kFloat64));
    p->kernels().set(kernels::kWhere, fake_where, kAllDTypes, declines_int32);
    g_unary_calls = &p->unary_calls;
    g_where_calls = &p->where_calls;
    FakeBackend* raw = p.get();
    register_backend(std::move(p));
    return raw;
  }();
  return *b;
}

}  // namespace

TEST(Backend, FakeDeviceRoundTripGoesThroughTheAllocator) {
  FakeBackend& f = fake();
  Tensor x = arange(0.0, 12.0, 1.0, kFloat32).reshape({3, 4});
  int up = f.alloc.uploads;
  Tensor d = x.to(Device("opencl:9"));
  EXPECT_EQ(d.device(), Device("opencl:9"));
  EXPECT_GT(f.alloc.uploads, up);
  Tensor back = d.to(Device("cpu"));
  EXPECT_ALLCLOSE(back, x, 0, 0);
  // A strided view on the device: contiguous() runs the device's copy kernel.
  Tensor tv = d.t().contiguous().to(Device("cpu"));
  EXPECT_ALLCLOSE(tv, x.t().contiguous(), 0, 0);
  // Factories and dtype conversion on the device.
  EXPECT_EQ(ones({5}, TensorOptions(kFloat64).with_device(Device("opencl:9"))).to(kInt32).to_vector<int32_t>(),
            (std::vector<int32_t>(5, 1)));
}

TEST(Backend, MissingKernelFallsBackToTheCpuWithOneWarning) {
  FakeBackend& f = fake();
  Tensor a = arange(0.0, 6.0, 1.0, kFloat32).reshape({2, 3}), b = full({2, 3}, 0.5);
  Tensor da = a.to(Device("opencl:9")), db = b.to(Device("opencl:9"));
  const int down = f.alloc.downloads;
  testing::internal::CaptureStderr();
  Tensor sum = add(da, db);
  Tensor prod = mul(da.t(), db.t());  // strided operands are staged through their spans
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(sum.device(), Device("opencl:9"));
  EXPECT_GT(f.alloc.downloads, down);  // operands went to the host through the allocator
  EXPECT_ALLCLOSE(sum.to(Device("cpu")), add(a, b), 0, 0);
  EXPECT_ALLCLOSE(prod.to(Device("cpu")), mul(a.t(), b.t()), 0, 0);
  // One warning naming the kernel and the device, however many calls.
  EXPECT_NE(err.find("kernel 'binary'"), std::string::npos) << err;
  EXPECT_NE(err.find("opencl:9"), std::string::npos) << err;
  EXPECT_EQ(err.find("kernel 'binary'"), err.rfind("kernel 'binary'")) << err;
  // An operand that is read and written (index_add accumulates into its output) comes back;
  // the inputs are left as they were.
  Tensor idx = from_vector(std::vector<int64_t>{1, 1, 0}, {3});
  Tensor acc = index_add(da, 1, idx.to(Device("opencl:9")), db);
  EXPECT_ALLCLOSE(acc.to(Device("cpu")), index_add(a, 1, idx, b), 0, 0);
  EXPECT_ALLCLOSE(da.to(Device("cpu")), a, 0, 0);
  EXPECT_EMBER_ERROR(add(da, ones({2, 3})), "add", "different devices");
}

TEST(Backend, BuffersAreFreed) {
  FakeBackend& f = fake();
  int before = f.alloc.live;
  { Tensor d = zeros({100}, TensorOptions().with_device(Device("opencl:9"))); EXPECT_EQ(f.alloc.live, before + 1); }
  EXPECT_EQ(f.alloc.live, before);
}

TEST(Backend, RegistryListsDevicesCpuFirst) {
  fake();
  auto devices = list_devices();
  ASSERT_GE(devices.size(), 2u);
  EXPECT_EQ(devices[0].device, Device("cpu"));
  EXPECT_GT(devices[0].compute_units, 0);
  EXPECT_GT(devices[0].memory_total, 0u);
  bool found = false;
  for (auto& d : devices) found = found || d.device == Device("opencl:9");
  EXPECT_TRUE(found);
}

// Typed keys: the signature comes from the key, so registering or looking up a kernel with
// another signature does not compile (checked here as concepts, since a compile-failure test
// would need its own CMake target).
template <class Key, class F>
concept Registrable = requires(KernelTable t, Key& key, F* f) { t.set(key, f); };
template <class Key, class F>
concept CallableAs = requires(Key& key) { ops::kernel<F>(std::declval<const Device&>(), key); };
static_assert(Registrable<decltype(kernels::kCopy), kernels::CopyKernel>);
static_assert(!Registrable<decltype(kernels::kCopy), kernels::FillKernel>);
static_assert(!Registrable<decltype(kernels::kUnary), kernels::BinaryKernel>);
static_assert(std::is_same_v<decltype(KernelTable().get(kernels::kFill)), kernels::FillKernel*>);
static_assert(CallableAs<decltype(kernels::kBinary), kernels::BinaryKernel>);
static_assert(!CallableAs<decltype(kernels::kBinary), kernels::UnaryKernel>);

TEST(Backend, KernelTableIsTypedByKey) {
  KernelTable t;
  EXPECT_EQ(t.get(kernels::kCopy), nullptr);
  t.set(kernels::kFill, fake_fill);
  EXPECT_EQ(t.get(kernels::kFill), &fake_fill);
  EXPECT_EQ(t.get(kernels::kCopy), nullptr);
  EXPECT_EQ(t.names(), std::vector<std::string>{"fill"});
}

TEST(Backend, SupportsAnswersFromTheRegisteredDtypes) {
  FakeBackend& f = fake();
  EXPECT_TRUE(f.supports(kernels::kUnary, kFloat32));
  EXPECT_TRUE(f.supports(kernels::kUnary, kFloat32, kInt64, kBFloat16));
  EXPECT_FALSE(f.supports(kernels::kUnary, kFloat64));
  EXPECT_FALSE(f.supports(kernels::kUnary, kFloat32, kFloat64));
  EXPECT_TRUE(f.supports(kernels::kCopy, kFloat64));     // registered for every dtype
  EXPECT_FALSE(f.supports(kernels::kBinary, kFloat32));  // not registered
  const Backend& cpu = get_backend(Device("cpu"));
  for (DType t : {kBool, kUInt8, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64})
    EXPECT_TRUE(cpu.supports(kernels::kBinary, t)) << dtype_name(t);
}

TEST(Backend, DispatcherFallsBackForAnUnsupportedDtypeWithOneWarning) {
  FakeBackend& f = fake();
  const Device fd("opencl:9");
  // float32: the device's own unary kernel, no fallback, no warning.
  Tensor x32 = from_vector(std::vector<float>{1, -2, 3}, {3});
  uint64_t before = fallback::calls();
  testing::internal::CaptureStderr();
  Tensor y32 = neg(x32.to(fd));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(fallback::calls(), before);
  EXPECT_EQ(err.find("kernel 'unary'"), std::string::npos) << err;
  EXPECT_ALLCLOSE(y32.to(Device("cpu")), neg(x32), 0, 0);
  EXPECT_GT(f.unary_calls, 0);
  // float64, which the fake device does not compute in: the CPU's kernel, one warning.
  const int native = f.unary_calls;
  Tensor x64 = x32.to(kFloat64), d64 = x64.to(fd);
  before = fallback::calls();
  testing::internal::CaptureStderr();
  Tensor a = neg(d64), b = exp(d64);
  err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(f.unary_calls, native);
  EXPECT_EQ(fallback::calls() - before, 2u);
  EXPECT_ALLCLOSE(a.to(Device("cpu")), neg(x64), 0, 0);
  EXPECT_ALLCLOSE(b.to(Device("cpu")), exp(x64), 0, 0);
  EXPECT_NE(err.find("kernel 'unary' is not implemented for float64 on opencl:9"), std::string::npos) << err;
  EXPECT_EQ(err.find("kernel 'unary'"), err.rfind("kernel 'unary'")) << err;
}

TEST(Backend, DispatcherFallsBackWhenTheBackendDeclinesACall) {
  FakeBackend& f = fake();
  const Device fd("opencl:9");
  Tensor c = from_vector(std::vector<int64_t>{1, 0}, {2}).to(kBool);
  Tensor x = from_vector(std::vector<int64_t>{1, 2}, {2}).to(kInt32), y = from_vector(std::vector<int64_t>{3, 4}, {2}).to(kInt32);
  const int native = f.where_calls;
  const uint64_t before = fallback::calls();
  testing::internal::CaptureStderr();
  Tensor w = where(c.to(fd), x.to(fd), y.to(fd));  // int32: declined by the fake kernel
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(f.where_calls, native);
  EXPECT_EQ(fallback::calls() - before, 1u);
  EXPECT_EQ(w.to(Device("cpu")).to_vector<int32_t>(), (std::vector<int32_t>{1, 4}));
  EXPECT_NE(err.find("kernel 'where' declines int32 (test) on opencl:9"), std::string::npos) << err;
  Tensor wf = where(c.to(fd), x.to(kFloat32).to(fd), y.to(kFloat32).to(fd));  // accepted
  EXPECT_EQ(f.where_calls, native + 1);
  EXPECT_EQ(wf.to(Device("cpu")).to_vector<float>(), (std::vector<float>{1, 4}));
}
