// Device: a plain value naming where a tensor lives ("cpu", "opencl:0", "cuda:1").
#pragma once
#include <ostream>
#include <string>

namespace ember {

enum class DeviceKind : uint8_t { CPU, OpenCL, CUDA };

struct Device {
  DeviceKind kind = DeviceKind::CPU;
  int index = 0;

  Device() = default;
  Device(DeviceKind k, int i = 0) : kind(k), index(i) {}  // NOLINT
  /// Parses "cpu", "cpu:0", "opencl", "opencl:N", "cuda", "cuda:N". Throws ember::Error otherwise.
  Device(const std::string& spec);  // NOLINT
  Device(const char* spec) : Device(std::string(spec)) {}  // NOLINT

  bool is_cpu() const { return kind == DeviceKind::CPU; }
  std::string str() const;
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

const char* device_kind_name(DeviceKind k);
inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace ember
