// `ember device [--json]`: every device of every built backend with its properties.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ember/device_info.h"

namespace ember::cli {
namespace {

std::string gib(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  return buf;
}

int run_device(bool json) {
  std::vector<DeviceInfo> devices = list_devices();
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const DeviceInfo& d : devices) {
      nlohmann::json j = {{"device", d.device.str()}, {"name", d.name},           {"vendor", d.vendor},
                          {"kind", d.kind},            {"compute_units", d.compute_units},
                          {"clock_mhz", d.clock_mhz},  {"memory_total_bytes", d.memory_total},
                          {"memory_free_bytes", d.memory_free}, {"features", d.features}};
      for (auto& [k, v] : d.properties) j[k] = v;
      out.push_back(j);
    }
    nlohmann::json doc = {{"devices", out},
                          {"backends", {{"cpu", "available"},
                                        {"opencl", "not built (see issue: portable GPU backend)"},
                                        {"cuda", "not built (see issue: CUDA backend)"}}}};
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
  }
  std::printf("backends not built: opencl, cuda\n");
  return 0;
}

}  // namespace

Command add_device_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("device", "List the devices ember can use and what each offers");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print one JSON object instead of a table");
  return {cmd, [json] { return run_device(*json); }};
}

}  // namespace ember::cli
