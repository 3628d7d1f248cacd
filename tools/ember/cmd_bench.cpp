// `ember bench`: times workloads after warm-up over several repetitions and reports median,
// min and max (a table, or one JSON line per workload with --json).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench_workloads.h"
#include "commands.h"
#include "flag_checks.h"

namespace ember::cli {
namespace {

struct BenchArgs {
  std::vector<std::string> workloads;
  std::string precision = "fp32", device = "cpu";
  int threads = 0;
  int64_t repeats = 20, warmup = 5;
  bool json = false;
};

/// The metric for one run that took `seconds`.
double metric_of(const Workload& w, double seconds) {
  if (w.metric == "samples_per_s" || w.metric == "tokens_per_s") return w.units_per_run / seconds;
  if (w.metric == "ms_per_batch") return seconds * 1e3;
  if (w.metric == "gflops") return w.units_per_run / seconds * 1e-9;
  return seconds * 1e6 / static_cast<double>(w.inner);  // us_per_op
}

int run_bench(const BenchArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  const Device device = resolve_device(a.device);
  std::vector<std::string> names = a.workloads;
  if (names.empty() || (names.size() == 1 && names[0] == "all")) names.assign(std::begin(kWorkloads), std::end(kWorkloads));
  if (!a.json)
    std::printf("%-10s %-14s %12s %12s %12s   (%s, %s, %d threads, %lld runs after %lld warm-up)\n", "workload", "metric",
                "median", "min", "max", device.str().c_str(), a.precision.c_str(), get_num_threads(),
                static_cast<long long>(a.repeats), static_cast<long long>(a.warmup));
  for (const std::string& name : names) {
    Workload w = make_workload(name, device, a.precision);
    for (int64_t i = 0; i < a.warmup; ++i) w.run();
    w.sync();
    std::vector<double> values;
    for (int64_t i = 0; i < a.repeats; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      w.run();
      w.sync();
      values.push_back(metric_of(w, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
    }
    std::sort(values.begin(), values.end());
    double median = values[values.size() / 2];
    if (values.size() % 2 == 0) median = 0.5 * (values[values.size() / 2 - 1] + values[values.size() / 2]);
    if (a.json) {
      std::cout << nlohmann::json{{"workload", name}, {"metric", w.metric}, {w.metric, median}, {"median", median},
                                  {"min", values.front()}, {"max", values.back()}, {"repeats", a.repeats},
                                  {"device", device.str()}, {"precision", a.precision},
                                  {"threads", get_num_threads()}}
                       .dump()
                << std::endl;
    } else {
      std::printf("%-10s %-14s %12.4g %12.4g %12.4g\n", name.c_str(), w.metric.c_str(), median, values.front(),
                  values.back());
    }
  }
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Time workloads: median/min/max over repetitions after warm-up");
  std::vector<std::string> known(std::begin(kWorkloads), std::end(kWorkloads));
  known.push_back("all");
  cmd->add_option("--workload", a->workloads,
                  "mlp, lenet (training step, batch 128), mlp-infer (batch 1), gemm (2048^3), tiny-op (8-element add), "
                  "attention (causal SDPA forward+backward, 32x4x128x32); "
                  "repeatable; default all")
      ->check(CLI::IsMember(known));
  cmd->add_option("--precision", a->precision,
                  "fp32 or bf16 (mlp, lenet, mlp-infer: autocast with float32 weights; gemm, attention: bf16 operands; "
                  "tiny-op: fp32 only)")
      ->check(CLI::IsMember({"fp32", "bf16"}))->capture_default_str();
  cmd->add_option("--device", a->device, "Device: cpu, opencl:N, cuda:N (see 'ember device')")
      ->check(device_syntax())->capture_default_str();
  cmd->add_option("--threads", a->threads, "CPU threads (default: OMP_NUM_THREADS or all cores)")->check(whole_in(1, kMaxThreads));
  cmd->add_option("--repeats", a->repeats, "Timed runs")->check(whole_in(1, 100000))->capture_default_str();
  cmd->add_option("--warmup", a->warmup, "Untimed runs first")->check(whole_in(0, 100000))->capture_default_str();
  cmd->add_flag("--json", a->json, "One JSON line per workload");
  return {cmd, [a] { return run_bench(*a); }};
}

}  // namespace ember::cli
