// The cases a kernel of this backend hands to the CPU (a dtype the device cannot compute in,
// integer division that must raise on zero): core/fallback.h's staging, announced once.
#pragma once
#include "cl_device.h"
#include "core/fallback.h"

namespace ember::opencl {

/// Runs the CPU backend's kernel `name` (signature Fn) on host copies of args from dev,
/// warning once (per kernel and device) with the reason why.
template <class Fn, class... A>
void cpu_fallback(const char* name, const char* why, const ClDevice& dev, const A&... args) {
  const Device d(DeviceKind::OpenCL, dev.index());
  const size_t slot = kernel_slot(name);
  fallback::warn_once(slot, d, why);
  fallback::CpuFallback<Fn>::run(get_backend(d), slot, args...);
}

}  // namespace ember::opencl
