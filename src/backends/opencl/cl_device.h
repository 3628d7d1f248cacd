// One OpenCL device as the backend drives it: its context and in-order queue (created on first
// use), what it supports, and its compiled kernels. Programs are built once per device from
// kernels/common.cl + a dtype preamble + kernels/<family>.cl, and cached in memory and on disk
// (keyed by platform, device, driver, options and a hash of the source).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "cl.h"
#include "ember/dtype.h"

namespace ember::opencl {

/// The dtypes of one program: each role name (e.g. "T", or "S"/"D" for a copy) maps to a dtype.
using TypeRoles = std::initializer_list<std::pair<const char*, DType>>;

class ClDevice {
 public:
  ClDevice(cl::Platform platform, cl::Device device, int index);

  int index() const { return index_; }
  const cl::Device& device() const { return device_; }
  const cl::Platform& platform() const { return platform_; }
  /// The context and the in-order command queue (created on first call; thread-safe).
  cl::Context& context();
  cl::CommandQueue& queue();

  bool has_fp64() const { return fp64_; }
  bool has_fp16() const { return fp16_; }
  /// Whether kernels can compute in dtype t on this device (float64 needs cl_khr_fp64).
  bool supports(DType t) const { return t != DType::Float64 || fp64_; }
  size_t max_work_group() const { return max_work_group_; }

  /// The kernel `name` of kernels/<family>.cl compiled for `types`. The program is built on
  /// first use (or loaded from the disk cache); a build failure throws ember::Error with the
  /// compiler's log. The returned kernel is shared: set its arguments and enqueue it while
  /// holding launch_mutex().
  cl_kernel kernel(const char* family, TypeRoles types, const char* name);
  std::mutex& launch_mutex() { return launch_mu_; }

  /// Builds an OpenCL C program from source for this device (or loads its binary from the
  /// disk cache); `what` names it in errors. A build failure throws ember::Error carrying
  /// the compiler's log.
  cl::Program build(const std::string& source, const std::string& what);

  /// Where compiled programs are cached: $EMBER_CACHE_DIR/opencl, else $XDG_CACHE_HOME/ember/opencl,
  /// else ~/.cache/ember/opencl ("" when none can be determined: no disk cache).
  static std::string cache_dir();

 private:
  void init();

  cl::Platform platform_;
  cl::Device device_;
  int index_;
  bool fp64_ = false, fp16_ = false;
  size_t max_work_group_ = 1;
  std::once_flag init_once_;
  cl::Context context_;
  cl::CommandQueue queue_;
  std::mutex mu_;          // guards the caches
  std::mutex launch_mu_;   // serialises argument setting + enqueue of shared kernels
  std::unordered_map<std::string, cl::Program> programs_;
  std::unordered_map<std::string, cl::Kernel> kernels_;
};

/// The preamble that defines role R for dtype t: `typedef <storage> R; typedef <arith> R_ACC;`
/// and R_LOAD(p,i) / R_STORE(p,i,v) (16-bit floats convert through float), R_IS_FLOAT.
std::string dtype_preamble(const char* role, DType t);

}  // namespace ember::opencl
