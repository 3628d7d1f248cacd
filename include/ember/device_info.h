// What ember knows about each device: the public view of every registered backend.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ember/device.h"

namespace ember {

struct DeviceInfo {
  Device device;
  std::string name;          // "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz"
  std::string vendor;
  std::string kind;          // "cpu", "gpu", "accelerator"
  size_t memory_total = 0;   // bytes; 0 when unknown
  size_t memory_free = 0;
  int compute_units = 0;     // cores / CUs / SMs
  int clock_mhz = 0;         // 0 when unknown
  std::vector<std::string> features;                          // "avx512f", "amx_bf16", "fp16", ...
  std::vector<std::pair<std::string, std::string>> properties;  // backend-specific, e.g. ("onednn_isa", "avx512_core_amx")
};

/// Every device of every built backend, CPU first.
std::vector<DeviceInfo> list_devices();

/// What became of one backend at start-up: built or not, and if built, whether it found a
/// usable device and, if not, why ("no OpenCL platform", "CUDA driver not found", ...).
struct BackendStatus {
  std::string name;      // "cpu", "opencl", "cuda"
  bool built = false;    // compiled into this libember
  bool available = false;  // at least one device registered
  int devices = 0;
  std::string detail;    // why unavailable / not built, or a short description of what was found
};
/// One entry per backend ember knows of, built or not (cpu, opencl, cuda).
std::vector<BackendStatus> backend_statuses();

/// Waits until all work queued on device d has finished (timing, host reads of results).
/// Requires an available device.
void synchronize(const Device& d);

}  // namespace ember
