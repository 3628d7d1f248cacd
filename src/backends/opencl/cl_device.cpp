// ClDevice: lazy context/queue creation, dtype preambles, and the program cache (memory + disk).
#include "cl_device.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "ember/error.h"

namespace ember::opencl {

const char* cl_source(const char* name);  // generated from kernels/*.cl (cmake/embed_cl.cmake)

namespace {

const char* kBuildOptions = "-cl-std=CL1.2";

uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return {};
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// Writes bytes to path atomically (temporary file + rename); failures are ignored (cache only).
void write_file_atomic(const std::filesystem::path& p, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) return;
  std::filesystem::path tmp = p;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) return;
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) return;
  }
  std::filesystem::rename(tmp, p, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

ClDevice::ClDevice(cl::Platform platform, cl::Device device, int index)
    : platform_(std::move(platform)), device_(std::move(device)), index_(index) {
  std::string ext = device_.getInfo<CL_DEVICE_EXTENSIONS>();
  fp64_ = ext.find("cl_khr_fp64") != std::string::npos;
  // EMBER_OPENCL_FP64=0 treats the device as lacking cl_khr_fp64 (tests the CPU fallback of
  // float64 on devices that have it, such as PoCL's).
  if (const char* e = std::getenv("EMBER_OPENCL_FP64"); e != nullptr && std::string(e) == "0") fp64_ = false;
  fp16_ = ext.find("cl_khr_fp16") != std::string::npos;
  max_work_group_ = device_.getInfo<CL_DEVICE_MAX_WORK_GROUP_SIZE>();
}

void ClDevice::init() {
  std::call_once(init_once_, [this] {
    cl_int err = CL_SUCCESS;
    context_ = cl::Context(device_, nullptr, nullptr, nullptr, &err);
    check(err, "creating a context");
    queue_ = cl::CommandQueue(context_, device_, cl::QueueProperties::None, &err);
    check(err, "creating a command queue");
  });
}

cl::Context& ClDevice::context() {
  init();
  return context_;
}

cl::CommandQueue& ClDevice::queue() {
  init();
  return queue_;
}

std::string ClDevice::cache_dir() {
  if (const char* d = std::getenv("EMBER_CACHE_DIR"); d && *d) return std::string(d) + "/opencl";
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/ember/opencl";
  if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.cache/ember/opencl";
  return "";
}

cl::Program ClDevice::build(const std::string& source, const std::string& key_text) {
  cl_int err = CL_SUCCESS;
  const std::string dir = cache_dir();
  const std::filesystem::path cached =
      dir.empty() ? std::filesystem::path() : std::filesystem::path(dir) / (hex(fnv1a(source, fnv1a(key_text))) + ".bin");
  // 1. A binary from an earlier run (any failure here just means: build from source).
  if (!cached.empty()) {
    std::string bin = read_file(cached);
    if (!bin.empty()) {
      cl::Program::Binaries bins{std::vector<unsigned char>(bin.begin(), bin.end())};
      std::vector<cl_int> status;
      cl::Program p(context(), {device_}, bins, &status, &err);
      if (err == CL_SUCCESS && p.build({device_}, kBuildOptions) == CL_SUCCESS) return p;
    }
  }
  // 2. From source.
  cl::Program p(context(), source, false, &err);
  check(err, "creating a program");
  if (p.build({device_}, kBuildOptions) != CL_SUCCESS) {
    std::string log = p.getBuildInfo<CL_PROGRAM_BUILD_LOG>(device_);
    EMBER_FAIL("opencl: building kernels (", key_text, ") failed on ", device_.getInfo<CL_DEVICE_NAME>(),
               "; build log:\n", log);
  }
  if (!cached.empty()) {
    std::vector<std::vector<unsigned char>> bins;
    if (p.getInfo(CL_PROGRAM_BINARIES, &bins) == CL_SUCCESS && bins.size() == 1 && !bins[0].empty())
      write_file_atomic(cached, std::string(bins[0].begin(), bins[0].end()));
  }
  return p;
}

cl_kernel ClDevice::kernel(const char* family, TypeRoles types, const char* name) {
  std::string program_key(family);
  for (auto& [role, t] : types) program_key.append("|").append(role).append("=").append(dtype_name(t));
  std::string kernel_key = program_key + "|" + name;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = kernels_.find(kernel_key); it != kernels_.end()) return it->second.get();
  auto pit = programs_.find(program_key);
  if (pit == programs_.end()) {
    for (auto& [role, t] : types)
      EMBER_CHECK(supports(t), "opencl: ", family, " kernels in ", dtype_name(t), " need cl_khr_fp64, which ",
                  device_.getInfo<CL_DEVICE_NAME>(), " lacks");
    std::string source = cl_source("common");
    for (auto& [role, t] : types) source += dtype_preamble(role, t);
    source += cl_source(family);
    std::string key_text = platform_.getInfo<CL_PLATFORM_NAME>() + "|" + platform_.getInfo<CL_PLATFORM_VERSION>() + "|" +
                           device_.getInfo<CL_DEVICE_NAME>() + "|" + device_.getInfo<CL_DRIVER_VERSION>() + "|" +
                           kBuildOptions + "|" + program_key;
    pit = programs_.emplace(program_key, build(source, key_text)).first;
  }
  cl_int err = CL_SUCCESS;
  cl::Kernel k(pit->second, name, &err);
  check(err, (std::string("creating kernel ") + name + " of " + program_key).c_str());
  return kernels_.emplace(kernel_key, std::move(k)).first->second.get();
}

std::string dtype_preamble(const char* role, DType t) {
  const std::string R(role);
  std::string storage, acc, load = "((p)[i])", store = "((p)[i] = (" + R + ")(v))", pre;
  bool is_float = true;
  switch (t) {
    case DType::Float32: storage = acc = "float"; break;
    case DType::Float64:
      pre = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n";
      storage = acc = "double";
      break;
    case DType::Float16:
      storage = "half", acc = "float";
      load = "vload_half((i), (p))", store = "vstore_half_rte((float)(v), (i), (p))";
      break;
    case DType::BFloat16:
      storage = "ushort", acc = "float";
      load = "bf16_to_float((p)[i])", store = "((p)[i] = float_to_bf16((float)(v)))";
      break;
    case DType::Int64: storage = acc = "long", is_float = false; break;
    case DType::Int32: storage = acc = "int", is_float = false; break;
    case DType::UInt8: storage = "uchar", acc = "int", is_float = false; break;
    case DType::Bool:
      storage = "uchar", acc = "int", is_float = false;
      store = "((p)[i] = (uchar)((v) != 0))";
      break;
  }
  return pre + "typedef " + storage + " " + R + ";\ntypedef " + acc + " " + R + "_ACC;\n#define " + R +
         "_LOAD(p, i) " + load + "\n#define " + R + "_STORE(p, i, v) " + store + "\n#define " + R + "_IS_FLOAT " +
         (is_float ? "1" : "0") + "\n";
}

}  // namespace ember::opencl
