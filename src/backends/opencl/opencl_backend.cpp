// OpenCL backend objects: device discovery over all platforms, device info, the stream
// (the device's in-order queue), and registration of every kernel family.
#include "opencl_backend.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "buffers.h"
#include "cl_device.h"

namespace ember::opencl {
namespace {

class ClStream : public Stream {
 public:
  explicit ClStream(ClDevice& d) : dev_(d) {}
  void synchronize() override { check(dev_.queue().finish(), "waiting for the device"); }

 private:
  ClDevice& dev_;
};

std::string kind_name(cl_device_type t) {
  if (t & CL_DEVICE_TYPE_GPU) return "gpu";
  if (t & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
  if (t & CL_DEVICE_TYPE_CPU) return "cpu";
  return "other";
}

class OpenClBackend : public Backend {
 public:
  OpenClBackend(cl::Platform p, cl::Device d, int index)
      : dev_(std::move(p), std::move(d), index), alloc_(dev_), stream_(dev_) {}
  Device device() const override { return Device(DeviceKind::OpenCL, dev_.index()); }
  DeviceInfo info() const override {
    const cl::Device& d = dev_.device();
    DeviceInfo i;
    i.device = device();
    i.name = d.getInfo<CL_DEVICE_NAME>();
    i.vendor = d.getInfo<CL_DEVICE_VENDOR>();
    i.kind = kind_name(d.getInfo<CL_DEVICE_TYPE>());
    i.compute_units = static_cast<int>(d.getInfo<CL_DEVICE_MAX_COMPUTE_UNITS>());
    i.clock_mhz = static_cast<int>(d.getInfo<CL_DEVICE_MAX_CLOCK_FREQUENCY>());
    i.memory_total = d.getInfo<CL_DEVICE_GLOBAL_MEM_SIZE>();
    const size_t used = alloc_.live_bytes() + alloc_.cached_bytes();  // OpenCL has no free-memory query
    i.memory_free = used < i.memory_total ? i.memory_total - used : 0;
    if (dev_.has_fp16()) i.features.push_back("fp16");
    if (dev_.has_fp64()) i.features.push_back("fp64");
    i.properties.push_back({"opencl_version", d.getInfo<CL_DEVICE_VERSION>()});
    i.properties.push_back({"driver_version", d.getInfo<CL_DRIVER_VERSION>()});
    i.properties.push_back({"platform", dev_.platform().getInfo<CL_PLATFORM_NAME>()});
    i.properties.push_back({"local_memory_bytes", std::to_string(d.getInfo<CL_DEVICE_LOCAL_MEM_SIZE>())});
    i.properties.push_back({"max_work_group_size", std::to_string(dev_.max_work_group())});
    i.properties.push_back({"max_alloc_bytes", std::to_string(d.getInfo<CL_DEVICE_MAX_MEM_ALLOC_SIZE>())});
    i.properties.push_back({"fp16", dev_.has_fp16() ? "yes (cl_khr_fp16)" : "storage only (computed in float32)"});
    i.properties.push_back({"fp64", dev_.has_fp64() ? "yes (cl_khr_fp64)" : "no (float64 ops run on the CPU)"});
    return i;
  }
  /// The dtypes the device's kernels compute in: all but float64 without cl_khr_fp64.
  DTypeMask computes() const { return dev_.has_fp64() ? kAllDTypes : all_dtypes_but(DType::Float64); }
  BufferAllocator& buffers() override { return alloc_; }
  Stream& stream() override { return stream_; }

 private:
  ClDevice dev_;
  CachingClAllocator alloc_;
  ClStream stream_;
};

}  // namespace

void register_opencl() {
  std::vector<cl::Platform> platforms;
  cl_int err = cl::Platform::get(&platforms);
  if (err != CL_SUCCESS || platforms.empty()) {
    report_backend_status({"opencl", true, false, 0,
                           std::string("no OpenCL platform found (") + (error_name(err) ? error_name(err) : "?") +
                               "); install a driver, e.g. pocl-opencl-icd for the CPU"});
    return;
  }
  int index = 0;
  std::string found;
  for (cl::Platform& p : platforms) {
    std::vector<cl::Device> devices;
    if (p.getDevices(CL_DEVICE_TYPE_ALL, &devices) != CL_SUCCESS) continue;
    for (cl::Device& d : devices) {
      found += (found.empty() ? "" : ", ") + std::string("opencl:") + std::to_string(index) + " " +
               d.getInfo<CL_DEVICE_NAME>();
      auto b = std::make_unique<OpenClBackend>(p, d, index++);
      KernelTable& t = b->kernels();
      const DTypeMask computes = b->computes();
      register_copy_kernels(t, computes);
      register_elementwise_kernels(t, computes);
      register_reduce_kernels(t, computes);
      register_matmul_kernels(t, computes);
      register_conv_kernels(t, computes);
      register_pool_kernels(t, computes);
      register_norm_kernels(t, computes);
      register_softmax_kernels(t, computes);
      register_attention_kernels(t, computes);
      register_index_kernels(t, computes);
      register_optim_kernels(t, computes);
      register_rnn_kernels(t, computes);
      register_backend(std::move(b));
    }
  }
  if (index == 0)
    report_backend_status({"opencl", true, false, 0, "OpenCL platforms found, but none has a device"});
  else
    report_backend_status({"opencl", true, true, index, found});
}

}  // namespace ember::opencl
