// NVML (the NVIDIA management library) loaded at run time with dlopen: it ships with the
// driver, not with the toolkit, so ember neither links it nor needs its header. Gives
// `ember device` the live clocks, memory, power draw and energy counter of a GPU.
#pragma once
#include <cstdint>
#include <string>

namespace ember::cuda {

/// One reading of a GPU's NVML counters. Fields NVML could not give stay at -1 / empty.
struct NvmlReading {
  bool ok = false;          // the device was found through NVML
  std::string error;        // why not, when !ok
  std::string name;
  int64_t memory_total = -1, memory_free = -1;  // bytes
  int sm_clock_mhz = -1, mem_clock_mhz = -1, max_sm_clock_mhz = -1;
  double power_w = -1;      // current board power draw
  double power_limit_w = -1;
  double energy_j = -1;     // energy since the driver was loaded (Volta and newer)
  int temperature_c = -1;
};

class Nvml {
 public:
  /// The process-wide NVML, loaded and initialised on first use. Never throws.
  static Nvml& get();
  bool available() const { return available_; }
  /// Why NVML is unavailable ("libnvidia-ml.so.1 not found: ..."), empty when available.
  const std::string& why() const { return why_; }
  /// The driver version NVML reports ("" when unavailable).
  std::string driver_version() const;
  /// Counters of the GPU with this PCI bus id (as cudaDeviceGetPCIBusId writes it). Never throws.
  NvmlReading read(const std::string& pci_bus_id) const;

 private:
  Nvml();
  bool available_ = false;
  std::string why_;
  void* lib_ = nullptr;
  struct Fns;
  Fns* fns_ = nullptr;
};

}  // namespace ember::cuda
