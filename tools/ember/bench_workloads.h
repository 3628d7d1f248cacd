// The workloads `ember bench` times (and bench/compare_pytorch.py mirrors layer for layer in
// PyTorch): each is set up once, then `run` does one unit of work (a training step, a batch-1
// inference, a GEMM, a tiny op) that the harness repeats and times.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::cli {

struct Workload {
  std::string name;
  std::string metric;       // "samples_per_s", "tokens_per_s", "ms_per_batch", "gflops", "us_per_op"
  double units_per_run = 1; // samples per run (rates), flops per run (gflops), ops per run (us_per_op)
  int64_t inner = 1;        // work items per timed run (tiny ops are timed in groups)
  std::function<void()> run;
  std::function<void()> sync;  // waits for the device (no-op on the CPU)
};

inline constexpr const char* kWorkloads[] = {"mlp",      "lenet",     "resnet20",       "resnet50",
                                             "charlstm", "gpt",       "mlp-infer",      "resnet50-infer",
                                             "gpt-generate", "gemm", "tiny-op", "attention"};

/// Builds workload `name` on device in precision ("fp32" or "bf16": autocast for the model
/// workloads, bf16 operands for gemm). Throws ember::Error for an unknown name or a precision
/// the workload/device cannot run (amp::require_precision).
Workload make_workload(const std::string& name, Device device, const std::string& precision);

}  // namespace ember::cli
