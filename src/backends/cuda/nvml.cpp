// NVML through dlopen with our own minimal declarations of the few entry points used (their
// C ABI has been stable since NVML 5; the _v2 names are the current ones).
#include "backends/cuda/nvml.h"

#include <dlfcn.h>

#include <string>
#include <type_traits>

namespace ember::cuda {

namespace {
// The subset of nvml.h ember uses.
using nvmlReturn_t = int;  // NVML_SUCCESS == 0
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
constexpr int kNvmlClockSm = 1, kNvmlClockMem = 2, kNvmlTemperatureGpu = 0;
}  // namespace

struct Nvml::Fns {
  nvmlReturn_t (*init)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*driver_version)(char*, unsigned) = nullptr;
  nvmlReturn_t (*by_pci)(const char*, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*max_clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*power_limit)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*) = nullptr;
};

Nvml& Nvml::get() {
  static Nvml* n = new Nvml();  // never destroyed: NVML stays initialised until exit
  return *n;
}

Nvml::Nvml() {
  lib_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib_) {
    const char* e = dlerror();
    why_ = std::string("NVML not loaded (it comes with the NVIDIA driver): ") + (e ? e : "libnvidia-ml.so.1 could not be loaded");
    return;
  }
  fns_ = new Fns;
  auto sym = [this](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib_, name));
    return fn != nullptr;
  };
  if (!sym(fns_->init, "nvmlInit_v2") || !sym(fns_->error_string, "nvmlErrorString") ||
      !sym(fns_->by_pci, "nvmlDeviceGetHandleByPciBusId_v2")) {
    why_ = "libnvidia-ml.so.1 lacks nvmlInit_v2 / nvmlDeviceGetHandleByPciBusId_v2 (driver too old)";
    return;
  }
  // Optional entry points: a missing one leaves its field unknown.
  sym(fns_->driver_version, "nvmlSystemGetDriverVersion");
  sym(fns_->name, "nvmlDeviceGetName");
  sym(fns_->memory, "nvmlDeviceGetMemoryInfo");
  sym(fns_->clock, "nvmlDeviceGetClockInfo");
  sym(fns_->max_clock, "nvmlDeviceGetMaxClockInfo");
  sym(fns_->power, "nvmlDeviceGetPowerUsage");
  sym(fns_->power_limit, "nvmlDeviceGetEnforcedPowerLimit");
  sym(fns_->energy, "nvmlDeviceGetTotalEnergyConsumption");
  sym(fns_->temperature, "nvmlDeviceGetTemperature");
  const nvmlReturn_t r = fns_->init();
  if (r != 0) {
    why_ = std::string("nvmlInit failed: ") + fns_->error_string(r);
    return;
  }
  available_ = true;
}

std::string Nvml::driver_version() const {
  if (!available_ || !fns_->driver_version) return "";
  char buf[96] = {};
  return fns_->driver_version(buf, sizeof buf) == 0 ? std::string(buf) : std::string();
}

NvmlReading Nvml::read(const std::string& pci_bus_id) const {
  NvmlReading r;
  if (!available_) {
    r.error = why_;
    return r;
  }
  nvmlDevice_t d = nullptr;
  const nvmlReturn_t st = fns_->by_pci(pci_bus_id.c_str(), &d);
  if (st != 0) {
    r.error = "NVML does not know the GPU at " + pci_bus_id + ": " + fns_->error_string(st);
    return r;
  }
  r.ok = true;
  char name[128] = {};
  if (fns_->name && fns_->name(d, name, sizeof name) == 0) r.name = name;
  nvmlMemory_t mem{};
  if (fns_->memory && fns_->memory(d, &mem) == 0) {
    r.memory_total = static_cast<int64_t>(mem.total);
    r.memory_free = static_cast<int64_t>(mem.free);
  }
  unsigned v = 0;
  if (fns_->clock && fns_->clock(d, kNvmlClockSm, &v) == 0) r.sm_clock_mhz = static_cast<int>(v);
  if (fns_->clock && fns_->clock(d, kNvmlClockMem, &v) == 0) r.mem_clock_mhz = static_cast<int>(v);
  if (fns_->max_clock && fns_->max_clock(d, kNvmlClockSm, &v) == 0) r.max_sm_clock_mhz = static_cast<int>(v);
  if (fns_->power && fns_->power(d, &v) == 0) r.power_w = v / 1000.0;  // milliwatts
  if (fns_->power_limit && fns_->power_limit(d, &v) == 0) r.power_limit_w = v / 1000.0;
  unsigned long long mj = 0;
  if (fns_->energy && fns_->energy(d, &mj) == 0) r.energy_j = static_cast<double>(mj) / 1000.0;  // millijoules
  if (fns_->temperature && fns_->temperature(d, kNvmlTemperatureGpu, &v) == 0) r.temperature_c = static_cast<int>(v);
  return r;
}

}  // namespace ember::cuda
