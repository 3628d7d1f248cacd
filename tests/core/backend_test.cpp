// Backend interface tests: a fake device whose buffers are opaque handles (not host pointers)
// proves that core moves data only through the BufferAllocator and finds kernels only through
// the kernel table; a kernel the device lacks runs on the CPU with a one-time warning.
#include <cstring>

#include "core/backend.h"
#include "core/kernels/copy.h"
#include "core/kernels/elementwise.h"
#include "harness/op_harness.h"

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
  get_backend(Device("cpu")).kernels().find<kernels::CopyKernel>(kernels::kCopy)(host_view(s), host_view(d));
}
void fake_fill(const TensorArg& d, double v) {
  get_backend(Device("cpu")).kernels().find<kernels::FillKernel>(kernels::kFill)(host_view(d), v);
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
};

FakeBackend& fake() {
  static FakeBackend* b = [] {
    auto p = std::make_unique<FakeBackend>();
    p->kernels().set<kernels::CopyKernel>(kernels::kCopy, fake_copy);
    p->kernels().set<kernels::FillKernel>(kernels::kFill, fake_fill);
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

TEST(Backend, KernelTableChecksSignatures) {
  KernelTable t;
  t.set<kernels::FillKernel>("fill", fake_fill);
  EXPECT_EQ(t.find<kernels::CopyKernel>("nothing"), nullptr);
  EXPECT_EMBER_ERROR(t.find<kernels::CopyKernel>("fill"), "fill", "different signature");
}
