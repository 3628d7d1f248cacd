// Helpers for the CUDA backend's tests: skip, naming why, when no CUDA device is available.
#pragma once
#include <string>

#include "harness/op_harness.h"

namespace ember::test {

/// Why the CUDA tests cannot run here ("" when cuda:0 is available), from backend_statuses().
inline std::string cuda_skip_reason() {
  for (const BackendStatus& s : backend_statuses())
    if (s.name == "cuda") {
      if (!s.built) return "CUDA backend not built: " + s.detail;
      return s.available ? std::string() : "no CUDA device: " + s.detail;
    }
  return "CUDA backend not known to this libember";
}

#define EMBER_REQUIRE_CUDA()                                      \
  do {                                                            \
    const std::string ember_skip_ = ::ember::test::cuda_skip_reason(); \
    if (!ember_skip_.empty()) GTEST_SKIP() << ember_skip_;        \
  } while (0)

inline Device cuda0() { return Device(DeviceKind::CUDA, 0); }

}  // namespace ember::test
