// Copy bandwidth and GEMM rate of a device, timed with the device synchronised (see header).
#include "device_measure.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace ember::cli {
namespace {

/// Median seconds of f over reps runs after one warm-up, with d synchronised before and after each.
double median_seconds(const Device& d, int reps, const std::function<void()>& f) {
  f();
  synchronize(d);
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    synchronize(d);
    auto t0 = std::chrono::steady_clock::now();
    f();
    synchronize(d);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

DeviceMeasurement measure_device(const Device& d, int reps) {
  NoGradGuard ng;
  DeviceMeasurement m;
  const int64_t n = int64_t{16} << 20;  // 16 Mi float32 = 64 MiB
  const double bytes = static_cast<double>(n) * 4;
  Tensor host = ones({n});
  Tensor dev = host.to(d);
  if (!d.is_cpu()) {  // on the CPU there is no transfer to time
    m.h2d_gb_s = bytes / median_seconds(d, reps, [&] { dev = host.to(d); }) / 1e9;
    m.d2h_gb_s = bytes / median_seconds(d, reps, [&] { host = dev.to(Device("cpu")); }) / 1e9;
  }
  Tensor copy;
  m.copy_gb_s = 2 * bytes / median_seconds(d, reps, [&] { copy = dev.clone(); }) / 1e9;
  m.gemm_n = 1024;
  Tensor a = randn({m.gemm_n, m.gemm_n}).to(d), b = randn({m.gemm_n, m.gemm_n}).to(d), c;
  const double flops = 2.0 * m.gemm_n * m.gemm_n * m.gemm_n;
  m.gemm_gflops = flops / median_seconds(d, reps, [&] { c = matmul(a, b); }) / 1e9;
  return m;
}

}  // namespace ember::cli
