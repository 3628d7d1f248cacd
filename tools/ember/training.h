// The training loop behind `ember train`: epochs of SGD-style steps with checkpoints that make
// a killed run resumable exactly, per-epoch evaluation, metrics.jsonl, curves.png and weights.
#pragma once
#include <cstdio>

#include "recipe.h"

namespace ember::cli {

struct TrainSummary {
  double test_accuracy = 0, test_loss = 0;
  int64_t epochs = 0, steps = 0;
  double train_seconds = 0, samples_per_s = 0;  // summed over the epochs' records in metrics.jsonl
  double lr = 0;                   // the learning rate (peak for onecycle) the run used
  bool resumed = false;
  std::string precision = "fp32";  // what ran: fp32, bf16 or fp16
  std::string precision_support;   // how the device ran it (amp::precision_support's detail)
  int64_t skipped_steps = 0;       // fp16: optimizer steps skipped by the loss scaler (overflow)
  nlohmann::json to_json(const TrainConfig& c) const;
};

/// Trains as configured, writing into c.out (created if missing, once every check has passed):
/// model.safetensors, checkpoint, metrics.jsonl, curves.png. With c.resume and an existing
/// checkpoint it continues from the checkpoint's epoch and batch (see reconcile_resume_config for
/// the flags that must match); without c.resume, an c.out that holds a run is refused unless
/// c.force. Human-readable progress goes to `log`.
TrainSummary run_training(const TrainConfig& c, std::FILE* log);

}  // namespace ember::cli
