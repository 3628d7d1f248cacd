// Device parsing and printing.
#include "ember/device.h"

#include "ember/error.h"

namespace ember {

const char* device_kind_name(DeviceKind k) {
  switch (k) {
    case DeviceKind::CPU: return "cpu";
    case DeviceKind::OpenCL: return "opencl";
    case DeviceKind::CUDA: return "cuda";
  }
  return "?";
}

Device::Device(const std::string& spec) {
  auto colon = spec.find(':');
  std::string kind_s = spec.substr(0, colon);
  if (kind_s == "cpu") kind = DeviceKind::CPU;
  else if (kind_s == "opencl" || kind_s == "ocl") kind = DeviceKind::OpenCL;
  else if (kind_s == "cuda") kind = DeviceKind::CUDA;
  else EMBER_FAIL("invalid device '", spec, "' (expected cpu, opencl:N or cuda:N)");
  index = 0;
  if (colon != std::string::npos) {
    std::string idx = spec.substr(colon + 1);
    bool ok = !idx.empty() && idx.size() < 6 && idx.find_first_not_of("0123456789") == std::string::npos;
    EMBER_CHECK(ok, "invalid device '", spec, "': the index after ':' must be a non-negative integer");
    index = std::stoi(idx);
  }
}

std::string Device::str() const {
  if (kind == DeviceKind::CPU) return "cpu";
  return std::string(device_kind_name(kind)) + ":" + std::to_string(index);
}

}  // namespace ember
