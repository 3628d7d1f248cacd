// Evaluating a classifier on a dataset: accuracy, mean cross-entropy and a confusion matrix.
#pragma once
#include <functional>
#include <vector>

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

}  // namespace ember::cli
