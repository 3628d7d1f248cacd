// Datasets: the abstract Dataset (indexed examples, batched access) and TensorDataset, an
// in-memory dataset over two tensors. Concrete file-backed datasets live in mnist.h/cifar10.h.
#pragma once
#include <cstdint>
#include <vector>

#include "ember/tensor.h"

namespace ember::data {

/// Which half of a dataset with a fixed train/test split to load.
enum class Split { Train, Test };
const char* split_name(Split s);  // "train" / "test"

/// One sample: an input (e.g. a (C,H,W) float32 image) and its target (e.g. a 0-dim int64 class).
struct Example {
  Tensor input;
  Tensor target;
};

/// A batch: inputs (N, *input shape) and targets (N, *target shape).
struct Batch {
  Tensor inputs;
  Tensor targets;
  int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

/// A finite, indexable collection of examples. Implementations must be safe to read from
/// several threads at once (get/get_batch are const and may run on a DataLoader worker).
class Dataset {
 public:
  virtual ~Dataset() = default;
  /// Number of examples.
  virtual int64_t size() const = 0;
  /// Example i; requires 0 <= i < size() (otherwise throws ember::Error).
  virtual Example get(int64_t i) const = 0;
  /// The examples at `indices` stacked along a new first dim. The default stacks get();
  /// in-memory datasets override it to fill one tensor directly. Requires a non-empty list of
  /// valid indices. The returned tensors are owned by the caller (transforms may not share
  /// storage with the dataset).
  virtual Batch get_batch(const std::vector<int64_t>& indices) const;

 protected:
  /// Throws ember::Error naming `who` unless 0 <= i < size().
  void check_index(const char* who, int64_t i) const;
};

/// A dataset over two tensors with the same first dim: example i is (inputs[i], targets[i]).
/// The tensors are made contiguous CPU copies at construction.
class TensorDataset : public Dataset {
 public:
  /// Requires both defined, rank >= 1 and inputs.size(0) == targets.size(0).
  TensorDataset(Tensor inputs, Tensor targets);
  int64_t size() const override { return inputs_.size(0); }
  Example get(int64_t i) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
};

}  // namespace ember::data
