// CPU backend object: device info, caching host allocator, synchronous stream, registration.
#include "backends/cpu/cpu_backend.h"

#include <omp.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>

#include "ember/threading.h"

namespace ember::cpu {
namespace {

/// Size-bucketed cache of 64-byte aligned blocks: freed blocks are reused by the next request
/// of the same rounded size, so steady-state training does no malloc/free.
class CachingHostAllocator : public BufferAllocator {
 public:
  ~CachingHostAllocator() override { empty_cache(); }
  void* allocate(size_t nbytes) override {
    size_t sz = round(nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(sz);
      if (it != free_.end()) {
        void* p = it->second;
        free_.erase(it);
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
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ + sz > kMaxCached) {
      std::free(p);
      return;
    }
    free_.emplace(sz, p);
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
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [sz, p] : free_) std::free(p);
    free_.clear();
    cached_ = 0;
  }

 private:
  static size_t round(size_t n) {
    if (n <= 64) return 64;
    if (n <= (1u << 20)) {  // next power of two up to 1 MiB
      size_t r = 64;
      while (r < n) r <<= 1;
      return r;
    }
    return (n + 65535) & ~size_t{65535};  // 64 KiB granules above
  }
  static constexpr size_t kMaxCached = size_t{2} << 30;
  std::mutex mu_;
  std::multimap<size_t, void*> free_;
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
  std::string flags = " " + cpuinfo_field("flags") + " ";
  std::vector<std::string> out;
  for (const char* want : {"avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"})
    if (flags.find(std::string(" ") + want + " ") != std::string::npos) out.push_back(want);
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
    return i;
  }
  BufferAllocator& buffers() override { return alloc_; }
  Stream& stream() override { return stream_; }

 private:
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
  register_backend(std::move(b));
}

}  // namespace ember::cpu

namespace ember {
void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, "set_num_threads: need at least 1 thread, got ", n);
  omp_set_num_threads(n);
}
int get_num_threads() { return omp_get_max_threads(); }
}  // namespace ember
