// CPU backend object: device info, host allocator (host_allocator.h), synchronous stream, registration.
#include "backends/cpu/cpu_backend.h"

#include <omp.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <oneapi/dnnl/dnnl.hpp>

#include "backends/cpu/fast_path.h"
#include "backends/cpu/host_allocator.h"
#include "backends/cpu/onednn/precision.h"

namespace ember::cpu {
namespace {

class HostStream : public Stream {
 public:
  void synchronize() override {}
};

/// The value of the first "key : value" line of /proc/cpuinfo starting with key ("" if none).
std::string cpuinfo_field(const std::string& key) {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) {
      auto c = line.find(':');
      return c == std::string::npos ? "" : line.substr(c + 2);
    }
  return "";
}

std::vector<std::string> cpu_features() {
  std::string flags(" ");
  flags.append(cpuinfo_field("flags")).push_back(' ');
  std::vector<std::string> out;
  for (const char* want : {"avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"}) {
    std::string needle(" ");  // strings built in steps: GCC 12 misreports `" " + s + " "` (-Wrestrict)
    needle.append(want).push_back(' ');
    if (flags.find(needle) != std::string::npos) out.push_back(want);
  }
  return out;
}

/// oneDNN's version and the instruction set its JIT kernels use on this machine.
std::vector<std::pair<std::string, std::string>> onednn_properties() {
  const dnnl_version_t* v = dnnl_version();
  std::string isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: isa = "avx512_core_amx (AMX bf16/int8 tiles)"; break;
    case dnnl::cpu_isa::avx512_core_bf16: isa = "avx512_core_bf16"; break;
    case dnnl::cpu_isa::avx512_core_vnni: isa = "avx512_core_vnni"; break;
    case dnnl::cpu_isa::avx512_core: isa = "avx512_core"; break;
    case dnnl::cpu_isa::avx2_vnni: isa = "avx2_vnni"; break;
    case dnnl::cpu_isa::avx2: isa = "avx2"; break;
    case dnnl::cpu_isa::sse41: isa = "sse41"; break;
    default: isa = "other"; break;
  }
  return {{"onednn_version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch)},
          {"onednn_isa", isa}};
}

class CpuBackend : public Backend {
 public:
  Device device() const override { return Device(DeviceKind::CPU, 0); }
  DeviceInfo info() const override {
    DeviceInfo i;
    i.device = device();
    i.name = cpuinfo_field("model name");
    if (i.name.empty()) i.name = "cpu";
    i.kind = "cpu";
    i.compute_units = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    long pages = sysconf(_SC_PHYS_PAGES), avail = sysconf(_SC_AVPHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
    i.memory_total = static_cast<size_t>(pages) * static_cast<size_t>(ps);
    i.memory_free = static_cast<size_t>(avail) * static_cast<size_t>(ps);
    i.features = cpu_features();
    i.vendor = cpuinfo_field("vendor_id");
    i.properties.push_back({"threads", std::to_string(omp_get_max_threads())});
    for (auto& p : onednn_properties()) i.properties.push_back(p);
    for (auto& p : onednn::low_precision_properties()) i.properties.push_back(p);  // "bf16", "fp16"
    return i;
  }
  BufferAllocator& buffers() override { return alloc_; }
  Stream& stream() override { return stream_; }
  // The conv kernels (oneDNN and reference) and the fused block take NCHW or NHWC activations.
  bool takes_channels_last() const override { return true; }
  // oneDNN's bfloat16 convolutions (AVX512-BF16 brgconv, AMX) run on NHWC: measured on lenet's
  // convolutions, NHWC without reorders beat blocked nChw16c plus reorders by ~28% in bf16, while
  // float32's NHWC backward-weights kernel is slower, so float32 stays NCHW.
  // EMBER_CHANNELS_LAST=0 turns it off (A/B benchmarks).
  bool prefers_channels_last(DType t) const override {
    static const bool enabled = [] {
      const char* v = std::getenv("EMBER_CHANNELS_LAST");
      return !(v && std::string(v) == "0");
    }();
    return enabled && t == DType::BFloat16 && fast_paths_enabled() && bf16_native();
  }

 private:
  static bool bf16_native() {
    static const bool native = [] {
      for (auto& [k, v] : onednn::low_precision_properties())
        if (k == "bf16") return v.rfind("native", 0) == 0;
      return false;
    }();
    return native;
  }

  HostAllocator alloc_;
  HostStream stream_;
};

}  // namespace

void register_cpu() {
  auto b = std::make_unique<CpuBackend>();
  KernelTable& t = b->kernels();
  register_copy_kernels(t);
  register_elementwise_kernels(t);
  register_reduce_kernels(t);
  register_matmul_kernels(t);
  register_conv_kernels(t);
  register_pool_kernels(t);
  register_norm_kernels(t);
  register_softmax_kernels(t);
  register_index_kernels(t);
  register_optim_kernels(t);
  register_clip_kernels(t);
  register_fused_kernels(t);
  register_dropout_kernels(t);
  register_rnn_kernels(t);
  register_attention_kernels(t);
  register_backend(std::move(b));
}

}  // namespace ember::cpu
