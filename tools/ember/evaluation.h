// Evaluating a classifier on a dataset (accuracy, mean cross-entropy, confusion matrix) and a
// language model on held-out text (cross-entropy per byte, next-byte accuracy).
#pragma once
#include <functional>
#include <vector>

#include "ember/data/text.h"
#include "ember/ember.h"

namespace ember::cli {

struct EvalResult {
  int64_t samples = 0;
  int64_t correct = 0;
  double loss = 0;  // mean cross-entropy
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
  double accuracy() const { return samples ? static_cast<double>(correct) / samples : 0.0; }
};

/// Runs model (in eval mode, without gradients) over every example of dataset in order,
/// normalising inputs with `norm`, in batches of batch_size on device. num_classes sizes the
/// confusion matrix. on_batch, when set, is called after each batch with the samples done and
/// the dataset's size (for a progress bar). The model's training mode is restored afterwards.
EvalResult evaluate(nn::Module& model, const data::Dataset& dataset, const data::Normalize& norm, Device device,
                    int64_t num_classes, int64_t batch_size = 500,
                    const std::function<void(int64_t done, int64_t total)>& on_batch = nullptr);

/// Evaluates a language model on the validation windows of corpus (TextCorpus::validation_windows
/// for `context`, in batches of batch_size): samples counts the bytes predicted, loss is the mean
/// cross-entropy per byte in nats, correct the bytes predicted exactly (argmax). Same mode and
/// progress rules as evaluate.
EvalResult evaluate_text(nn::Module& model, const data::TextCorpus& corpus, int64_t context, Device device,
                         const std::function<void(int64_t done, int64_t total)>& on_batch = nullptr,
                         int64_t batch_size = 64);

}  // namespace ember::cli
