// `ember device [--json] [--measure]`: every device of every built backend with its
// properties, the state of each backend (built, available, or why not), and on request what
// each device measures (copy bandwidth, GEMM rate).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "device_measure.h"
#include "ember/device_info.h"

namespace ember::cli {
namespace {

std::string gib(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  return buf;
}

nlohmann::json measurement_json(const DeviceMeasurement& m) {
  nlohmann::json j = {{"copy_gb_s", m.copy_gb_s}, {"gemm_gflops", m.gemm_gflops}, {"gemm_n", m.gemm_n}};
  if (m.h2d_gb_s > 0) j["h2d_gb_s"] = m.h2d_gb_s, j["d2h_gb_s"] = m.d2h_gb_s;
  return j;
}

int run_device(bool json, bool measure) {
  std::vector<DeviceInfo> devices = list_devices();
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const DeviceInfo& d : devices) {
      nlohmann::json j = {{"device", d.device.str()}, {"name", d.name},           {"vendor", d.vendor},
                          {"kind", d.kind},            {"compute_units", d.compute_units},
                          {"clock_mhz", d.clock_mhz},  {"memory_total_bytes", d.memory_total},
                          {"memory_free_bytes", d.memory_free}, {"features", d.features}};
      for (auto& [k, v] : d.properties) j[k] = v;
      if (measure) j["measured"] = measurement_json(measure_device(d.device));
      out.push_back(j);
    }
    nlohmann::json backends = nlohmann::json::object();
    for (const BackendStatus& b : backend_statuses())
      backends[b.name] = {{"built", b.built}, {"available", b.available}, {"devices", b.devices}, {"detail", b.detail}};
    nlohmann::json doc = {{"devices", out}, {"backends", backends}};
    std::cout << doc.dump() << "\n";
    return 0;
  }
  for (const DeviceInfo& d : devices) {
    std::printf("%s: %s\n", d.device.str().c_str(), d.name.c_str());
    std::printf("  kind            %s\n", d.kind.c_str());
    if (!d.vendor.empty()) std::printf("  vendor          %s\n", d.vendor.c_str());
    std::printf("  compute units   %d\n", d.compute_units);
    if (d.clock_mhz) std::printf("  clock           %d MHz\n", d.clock_mhz);
    if (d.memory_total) std::printf("  memory          %s total, %s free\n", gib(d.memory_total).c_str(), gib(d.memory_free).c_str());
    if (!d.features.empty()) {
      std::string f;
      for (auto& s : d.features) f += (f.empty() ? "" : " ") + s;
      std::printf("  features        %s\n", f.c_str());
    }
    for (auto& [k, v] : d.properties) std::printf("  %-15s %s\n", k.c_str(), v.c_str());
    if (measure) {
      std::fflush(stdout);
      DeviceMeasurement m = measure_device(d.device);
      if (m.h2d_gb_s > 0)
        std::printf("  measured        host->device %.2f GB/s, device->host %.2f GB/s\n", m.h2d_gb_s, m.d2h_gb_s);
      std::printf("  measured        on-device copy %.2f GB/s (read + write)\n", m.copy_gb_s);
      std::printf("  measured        fp32 GEMM %dx%d: %.1f GFLOP/s\n", m.gemm_n, m.gemm_n, m.gemm_gflops);
    }
  }
  std::printf("backends:\n");
  for (const BackendStatus& b : backend_statuses())
    std::printf("  %-8s %s: %s\n", b.name.c_str(),
                !b.built ? "not built" : b.available ? "available" : "unavailable", b.detail.c_str());
  return 0;
}

}  // namespace

Command add_device_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("device", "List the devices ember can use and what each offers");
  auto json = std::make_shared<bool>(false);
  auto measure = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print one JSON object instead of a table");
  cmd->add_flag("--measure", *measure,
                "Also measure each device: host<->device and on-device copy bandwidth (64 MiB), fp32 GEMM GFLOP/s "
                "(1024x1024); medians of 5 runs");
  return {cmd, [json, measure] { return run_device(*json, *measure); }};
}

}  // namespace ember::cli
