// What `ember train` trains on, behind one interface: image classification (a DataLoader over
// MNIST/Fashion-MNIST with augmentation, evaluated on the test set) or language modelling
// (random windows of a text file, evaluated on its held-out last 10%). The training loop sees
// only batches of (inputs, targets), a model and an evaluation.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "evaluation.h"
#include "recipe.h"

namespace ember::cli {

/// The batches of one epoch, from a given batch on.
class BatchStream {
 public:
  virtual ~BatchStream() = default;
  /// Stores the next batch (CPU tensors) in out and returns true, or false at the epoch's end.
  virtual bool next(data::Batch& out) = 0;
  /// Index within the epoch of the batch the next call to next() returns.
  virtual int64_t batch_index() const = 0;
};

class TrainTask {
 public:
  virtual ~TrainTask() = default;
  virtual int64_t batches_per_epoch() const = 0;
  /// "60000 train / 10000 test samples" or "2318926 train / 257658 validation bytes".
  virtual std::string describe() const = 0;
  /// What one target is, for rates and logs: "samples" (images) or "chars" (bytes of text).
  virtual const char* unit() const = 0;
  /// The batches of `epoch` from batch start_batch on; they depend only on (seed, epoch, batch).
  virtual std::unique_ptr<BatchStream> epoch(int64_t epoch, int64_t start_batch) = 0;
  /// Evaluates model on the held-out data (eval mode, no gradients; mode restored): loss is the
  /// mean cross-entropy per target (nats), accuracy the share of targets predicted exactly.
  /// on_batch(done, total) follows its progress.
  virtual EvalResult evaluate(nn::Module& model, Device device,
                              const std::function<void(int64_t, int64_t)>& on_batch) = 0;
  /// A freshly initialised model for this task (default generator).
  virtual nn::ModulePtr make_model() const = 0;
  /// safetensors metadata that lets eval/generate rebuild the model from its weights alone.
  virtual std::map<std::string, std::string> weights_metadata() const = 0;
};

/// The task of a config whose recipe has been applied (TrainConfig::apply_model_recipe): reads
/// the dataset (ember::Error naming the file when it is missing or malformed).
std::unique_ptr<TrainTask> make_train_task(const TrainConfig& c);

/// Loss and per-target predictions of a batch: logits (N, C) or (N, T, C) against targets (N)
/// or (N, T), flattened to one target per row.
Tensor task_loss(const Tensor& logits, const Tensor& targets, double label_smoothing);
/// Targets predicted exactly (argmax) in a batch, as task_loss flattens it.
int64_t task_correct(const Tensor& logits, const Tensor& targets);

}  // namespace ember::cli
