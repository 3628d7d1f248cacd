// CPU backend object: device info, caching host allocator, synchronous stream, registration.
#include "backends/cpu/cpu_backend.h"

#include <omp.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <unordered_map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>

#include "backends/cpu/fast_path.h"
#include "backends/cpu/onednn/precision.h"

namespace ember::cpu {
namespace {

/// Size-bucketed cache of 64-byte aligned blocks: freed blocks are reused by the next request
/// of the same rounded size, so steady-state training does no malloc/free. Sizes up to 1 MiB
/// round to powers of two and each has a free list in a fixed array (a push/pop under the
/// lock, no tree or node allocation: this is on every tensor's creation and destruction).
class CachingHostAllocator : public BufferAllocator {
 public:
  ~CachingHostAllocator() override { empty_cache(); }
  void* allocate(size_t nbytes) override {
    size_t sz = round(nbytes);
    if (sz <= kThreadMax) {
      ThreadCache& tc = thread_cache();
      uint8_t& n = tc.count[std::countr_zero(sz) - kMinLog];
      if (n > 0) return tc.blocks[std::countr_zero(sz) - kMinLog][--n];
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<void*>& list = list_for(sz);
      if (!list.empty()) {
        void* p = list.back();
        list.pop_back();
        cached_ -= sz;
        return p;
      }
    }
    void* p = std::aligned_alloc(64, sz);
    EMBER_CHECK(p != nullptr, "cpu: out of memory allocating ", nbytes, " bytes");
    return p;
  }
  void deallocate(void* p, size_t nbytes) override {
    if (!p) return;
    size_t sz = round(nbytes);
    if (sz <= kThreadMax) {
      ThreadCache& tc = thread_cache();
      const int cls = std::countr_zero(sz) - kMinLog;
      if (!tc.closed && tc.count[cls] < kThreadDepth) {
        tc.blocks[cls][tc.count[cls]++] = p;
        return;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ + sz > kMaxCached) {
      std::free(p);
      return;
    }
    list_for(sz).push_back(p);
    cached_ += sz;
  }
  void copy_from_host(void* dst, size_t off, const void* src, size_t n) override {
    if (n) std::memcpy(static_cast<char*>(dst) + off, src, n);
  }
  void copy_to_host(void* dst, const void* src, size_t off, size_t n) override {
    if (n) std::memcpy(dst, static_cast<const char*>(src) + off, n);
  }
  void copy_within(void* dst, size_t doff, const void* src, size_t soff, size_t n) override {
    if (n) std::memmove(static_cast<char*>(dst) + doff, static_cast<const char*>(src) + soff, n);
  }
  size_t cached_bytes() const override { return cached_; }
  void empty_cache() override {
    thread_cache().drain();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& list : small_) {
      for (void* p : list) std::free(p);
      list.clear();
    }
    for (auto& [sz, list] : large_)
      for (void* p : list) std::free(p);
    large_.clear();
    cached_ = 0;
  }

 private:
  static constexpr size_t kMinBlock = 64, kSmallMax = size_t{1} << 20;
  static constexpr int kMinLog = 6, kSmallClasses = 20 - kMinLog + 1;  // 64 B .. 1 MiB
  static size_t round(size_t n) {
    if (n <= kMinBlock) return kMinBlock;
    if (n <= kSmallMax) return std::bit_ceil(n);                // next power of two up to 1 MiB
    return (n + 65535) & ~size_t{65535};  // 64 KiB granules above
  }
  /// Per-thread stacks in front of the shared lists for blocks up to kThreadMax, so the
  /// small tensors that every op creates come and go without taking the mutex. Blocks are
  /// plain aligned_alloc memory: a thread's stack frees them when the thread exits.
  static constexpr size_t kThreadMax = 4096;
  static constexpr int kThreadClasses = 12 - kMinLog + 1, kThreadDepth = 8;
  struct ThreadCache {
    void* blocks[kThreadClasses][kThreadDepth];
    uint8_t count[kThreadClasses];
    bool closed;
    void drain() {
      for (int c = 0; c < kThreadClasses; ++c)
        while (count[c] > 0) std::free(blocks[c][--count[c]]);
    }
  };
  static ThreadCache& thread_cache() {
    thread_local ThreadCache tc{};  // trivially destructible: usable until the thread ends
    struct Guard {
      ~Guard() {
        tc.drain();
        tc.closed = true;
      }
    };
    thread_local Guard guard;
    (void)guard;
    return tc;
  }
  /// The free list for a rounded size (caller holds mu_).
  std::vector<void*>& list_for(size_t sz) {
    if (sz <= kSmallMax) return small_[std::countr_zero(sz) - kMinLog];
    return large_[sz];
  }
  static constexpr size_t kMaxCached = size_t{2} << 30;
  std::mutex mu_;
  std::array<std::vector<void*>, kSmallClasses> small_;
  std::unordered_map<size_t, std::vector<void*>> large_;
  size_t cached_ = 0;
};

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

  CachingHostAllocator alloc_;
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
  register_backend(std::move(b));
}

}  // namespace ember::cpu
