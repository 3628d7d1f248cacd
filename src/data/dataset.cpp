// Dataset's default batching (stacking get()) and TensorDataset, the in-memory dataset over
// two tensors whose batches are index_select gathers.
#include "ember/data/dataset.h"

#include "ember/autograd.h"
#include "ember/ops/shape.h"

namespace ember::data {

const char* split_name(Split s) { return s == Split::Train ? "train" : "test"; }

void Dataset::check_index(const char* who, int64_t i) const {
  EMBER_CHECK(i >= 0 && i < size(), who, ": index ", i, " out of range for a dataset of ", size(), " examples");
}

Batch Dataset::get_batch(const std::vector<int64_t>& indices) const {
  EMBER_CHECK(!indices.empty(), "Dataset::get_batch: empty index list");
  NoGradGuard ng;
  std::vector<Tensor> xs, ys;
  xs.reserve(indices.size());
  ys.reserve(indices.size());
  for (int64_t i : indices) {
    check_index("Dataset::get_batch", i);
    Example e = get(i);
    xs.push_back(std::move(e.input));
    ys.push_back(std::move(e.target));
  }
  return Batch{stack(xs, 0), stack(ys, 0)};
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) {
  EMBER_CHECK(inputs.defined() && targets.defined(), "TensorDataset: inputs and targets must be defined");
  EMBER_CHECK(inputs.dim() >= 1 && targets.dim() >= 1, "TensorDataset: inputs ", shape_str(inputs.shape()),
              " and targets ", shape_str(targets.shape()), " need a first (example) dim");
  EMBER_CHECK(inputs.size(0) == targets.size(0), "TensorDataset: inputs ", shape_str(inputs.shape()),
              " and targets ", shape_str(targets.shape()), " differ in the number of examples");
  NoGradGuard ng;
  inputs_ = inputs.detach().to(Device()).contiguous();
  targets_ = targets.detach().to(Device()).contiguous();
}

Example TensorDataset::get(int64_t i) const {
  check_index("TensorDataset::get", i);
  NoGradGuard ng;
  return Example{inputs_.select(0, i).clone(), targets_.select(0, i).clone()};
}

Batch TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  EMBER_CHECK(!indices.empty(), "TensorDataset::get_batch: empty index list");
  for (int64_t i : indices) check_index("TensorDataset::get_batch", i);
  NoGradGuard ng;
  Tensor idx = from_vector(indices, {static_cast<int64_t>(indices.size())});
  return Batch{index_select(inputs_, 0, idx), index_select(targets_, 0, idx)};
}

}  // namespace ember::data
