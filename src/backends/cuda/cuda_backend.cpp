// The CUDA Backend object (device info with NVML counters, allocator, stream) and
// register_cuda(), which probes the driver and devices and reports what it found.
#include "backends/cuda/cuda_backend.h"

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <dlfcn.h>

#include <memory>
#include <sstream>
#include <vector>

#include "backends/cuda/allocator.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/nvml.h"

#ifndef EMBER_CUDA_ARCHS
#define EMBER_CUDA_ARCHS "80,90"  // CMAKE_CUDA_ARCHITECTURES, comma-separated (set by CMakeLists.txt)
#endif

namespace ember::cuda {
namespace {

class CudaStream : public Stream {
 public:
  explicit CudaStream(DeviceContext& ctx) : ctx_(ctx) {}
  void synchronize() override {
    EMBER_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream()), "waiting for the device");
  }

 private:
  DeviceContext& ctx_;
};

std::string version_str(int v) {  // CUDA's 1000*major + 10*minor
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

/// Whether code built for EMBER_CUDA_ARCHS runs on compute capability major.minor: SASS runs
/// on the same major with an equal or newer minor, PTX is JIT-compiled for any newer device.
bool archs_cover(int major, int minor, std::string& built) {
  std::stringstream ss(EMBER_CUDA_ARCHS);
  std::string item;
  bool ok = false;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item[0] < '0' || item[0] > '9') return true;  // "native", "all", ...: chosen by nvcc for this machine
    built += (built.empty() ? "sm_" : ", sm_") + item;
    const int a = std::stoi(item);
    const bool real = item.find("-virtual") == std::string::npos;
    const bool virt = item.find("-real") == std::string::npos;
    if (real && a / 10 == major && a % 10 <= minor) ok = true;
    if (virt && a <= major * 10 + minor) ok = true;
  }
  return ok;
}

class CudaBackend : public Backend {
 public:
  CudaBackend(DeviceContext& ctx, const cudaDeviceProp& p) : ctx_(ctx), prop_(p), stream_(ctx) {
    char bus[32] = {};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, ctx.device()) == cudaSuccess) pci_ = bus;
    cudaGetLastError();
  }
  Device device() const override { return Device(DeviceKind::CUDA, ctx_.device()); }
  BufferAllocator& buffers() override { return ctx_.allocator(); }
  Stream& stream() override { return stream_; }
  DeviceInfo info() const override;

 private:
  DeviceContext& ctx_;
  cudaDeviceProp prop_;
  CudaStream stream_;
  std::string pci_;
};

DeviceInfo CudaBackend::info() const {
  DeviceInfo i;
  const int dev = ctx_.device();
  i.device = device();
  i.name = prop_.name;
  i.vendor = "NVIDIA";
  i.kind = "gpu";
  i.compute_units = prop_.multiProcessorCount;
  int khz = 0;
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev) == cudaSuccess) i.clock_mhz = khz / 1000;
  cudaGetLastError();
  const std::string cc = std::to_string(prop_.major) + "." + std::to_string(prop_.minor);
  const bool ampere = prop_.major >= 8;
  i.features.push_back("sm_" + std::to_string(prop_.major) + std::to_string(prop_.minor));
  i.features.push_back("fp16");
  if (ampere) i.features.insert(i.features.end(), {"bf16", "tf32"});
  i.features.push_back("tensor_cores");

  NvmlReading n = Nvml::get().read(pci_);
  if (n.ok && n.memory_total >= 0) {
    i.memory_total = static_cast<size_t>(n.memory_total);
    i.memory_free = static_cast<size_t>(n.memory_free);
  } else {
    size_t free_b = 0, total_b = 0;
    const_cast<DeviceContext&>(ctx_).stream();  // cudaMemGetInfo needs the device's context
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) {
      i.memory_total = total_b;
      i.memory_free = free_b;
    } else {
      i.memory_total = prop_.totalGlobalMem;
    }
    cudaGetLastError();
  }
  auto& p = i.properties;
  p.push_back({"compute_capability", cc});
  p.push_back({"pci_bus_id", pci_});
  int rt = 0, drv = 0;
  cudaRuntimeGetVersion(&rt);
  cudaDriverGetVersion(&drv);
  p.push_back({"cuda_runtime", version_str(rt)});
  p.push_back({"cuda_driver", version_str(drv)});
  const std::string driver = Nvml::get().driver_version();
  if (!driver.empty()) p.push_back({"driver_version", driver});
  p.push_back({"cublaslt_version", std::to_string(cublasLtGetVersion())});
  p.push_back({"cudnn_version", std::to_string(cudnnGetVersion())});
  p.push_back({"bf16", ampere ? "native (tensor cores: cuBLAS/cuDNN, float32 accumulation)"
                              : "unsupported (bfloat16 tensor cores need compute capability 8.0)"});
  p.push_back({"fp16", "native (tensor cores: cuBLAS/cuDNN, float32 accumulation)"});
  p.push_back({"tf32", !ampere         ? "unsupported (needs compute capability 8.0)"
                       : tf32_allowed() ? "enabled for float32 matmul/conv (EMBER_ALLOW_TF32)"
                                        : "disabled (EMBER_ALLOW_TF32=1 lets float32 matmul/conv use it)"});
  p.push_back({"memory_cached_bytes", std::to_string(ctx_.allocator().cached_bytes())});
  p.push_back({"memory_in_use_bytes", std::to_string(ctx_.allocator().in_use_bytes())});
  if (n.ok) {
    auto put = [&](const char* k, double v, bool integral) {
      if (v < 0) return;
      std::ostringstream os;
      if (integral) os << static_cast<int64_t>(v);
      else os << v;
      p.push_back({k, os.str()});
    };
    put("sm_clock_mhz", n.sm_clock_mhz, true);
    put("max_sm_clock_mhz", n.max_sm_clock_mhz, true);
    put("mem_clock_mhz", n.mem_clock_mhz, true);
    put("power_w", n.power_w, false);
    put("power_limit_w", n.power_limit_w, false);
    put("energy_j", n.energy_j, false);
    put("temperature_c", n.temperature_c, true);
  } else {
    p.push_back({"nvml", "unavailable: " + n.error});
  }
  return i;
}

struct Probe {
  int count = 0;
  std::string reason;  // set when count == 0
};

/// Looks for the driver, then asks the runtime for devices. Never throws.
Probe probe() {
  Probe pr;
  // cudart loads libcuda itself, but its own message ("driver version is insufficient")
  // hides the commonest case: no driver at all.
  void* drv = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!drv) {
    const char* e = dlerror();
    pr.reason = std::string("no CUDA driver (") + (e ? e : "libcuda.so.1 could not be loaded") + ")";
    return pr;
  }
  const cudaError_t err = cudaGetDeviceCount(&pr.count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    pr.count = 0;
    pr.reason = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
  } else if (pr.count == 0) {
    pr.reason = "the CUDA driver reports no device (CUDA_VISIBLE_DEVICES may hide them)";
  }
  return pr;
}

}  // namespace

std::string unavailable_reason() {
  static const std::string reason = probe().reason;
  return reason;
}

void register_cuda() {
  try {
    const Probe pr = probe();
    if (pr.count == 0) {
      report_backend_status({"cuda", true, false, 0, pr.reason});
      return;
    }
    int ok = 0;
    std::string found, skipped;
    for (int d = 0; d < pr.count; ++d) {
      cudaDeviceProp prop{};
      const cudaError_t e = cudaGetDeviceProperties(&prop, d);
      if (e != cudaSuccess) {
        cudaGetLastError();
        skipped += "; cuda:" + std::to_string(d) + ": " + cudaGetErrorString(e);
        continue;
      }
      std::string built;
      if (!archs_cover(prop.major, prop.minor, built)) {
        skipped += "; cuda:" + std::to_string(d) + " (" + prop.name + ", compute capability " + std::to_string(prop.major) +
                   "." + std::to_string(prop.minor) + ") cannot run kernels built for " + built;
        continue;
      }
      auto* ctx = new DeviceContext(d);  // lives for the process (see DeviceContext)
      add_context(ctx);
      auto b = std::make_unique<CudaBackend>(*ctx, prop);
      KernelTable& t = b->kernels();
      register_copy_kernels(t);
      register_elementwise_kernels(t);
      register_reduce_kernels(t);
      register_matmul_kernels(t);
      register_conv_kernels(t);
      register_pool_kernels(t);
      register_norm_kernels(t);
      register_softmax_kernels(t);
      register_attention_kernels(t);
      register_index_kernels(t);
      register_optim_kernels(t);
      register_rnn_kernels(t);
      register_backend(std::move(b));
      found += (found.empty() ? "" : ", ") + std::string("cuda:") + std::to_string(d) + " " + prop.name + " (sm_" +
               std::to_string(prop.major) + std::to_string(prop.minor) + ")";
      ++ok;
    }
    std::string detail = ok ? found : "no usable CUDA device";
    if (!skipped.empty()) detail += skipped;
    report_backend_status({"cuda", true, ok > 0, ok, detail});
  } catch (const std::exception& e) {
    report_backend_status({"cuda", true, false, 0, std::string("CUDA initialisation failed: ") + e.what()});
  }
}

}  // namespace ember::cuda
