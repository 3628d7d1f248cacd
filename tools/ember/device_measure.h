// `ember device --measure`: what a device actually delivers, measured rather than quoted:
// host->device and device->host copy bandwidth, on-device copy bandwidth and fp32 GEMM rate.
#pragma once
#include "ember/ember.h"

namespace ember::cli {

struct DeviceMeasurement {
  double h2d_gb_s = 0, d2h_gb_s = 0;  // host <-> device copies of a 64 MiB tensor (GB = 1e9 bytes); 0 on the CPU
  double copy_gb_s = 0;               // on-device clone: bytes read + bytes written per second
  double gemm_gflops = 0;             // float32 n x n matmul, 2 n^3 flops
  int gemm_n = 0;
};

/// Times each quantity after one warm-up as the median of `reps` runs (synchronising the
/// device around each). Requires an available device.
DeviceMeasurement measure_device(const Device& d, int reps = 5);

}  // namespace ember::cli
