// DataLoader: batches from a Dataset in a deterministic per-epoch order, optionally prepared
// ahead on a background thread. The order of epoch e depends only on (seed, e), and random
// transforms draw from a generator seeded by (seed, e, batch index), so results are the same
// with or without prefetching and a run resumed at batch k of epoch e sees exactly the batches
// an uninterrupted run would.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "ember/data/dataset.h"
#include "ember/data/transforms.h"

namespace ember::data {

struct DataLoaderOptions {
  int64_t batch_size = 64;  // >= 1
  bool shuffle = true;      // false: indices 0..size-1 in order
  bool drop_last = false;   // drop a final partial batch
  uint64_t seed = 0;        // order and augmentation seed
  int64_t prefetch = 2;     // batches prepared ahead on a background thread; 0 = synchronous
  BatchTransform transform = nullptr;  // applied to every batch (may be empty)
};

class EpochIterator;

class DataLoader {
 public:
  /// Requires a non-null dataset, batch_size >= 1 and prefetch >= 0.
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});

  /// Batches per epoch: ceil(size / batch_size), or floor with drop_last.
  int64_t batches_per_epoch() const;
  /// Dataset indices of epoch `epoch` in the order they are served (all of them, including
  /// any dropped by drop_last). Requires epoch >= 0.
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  /// Iterates epoch `epoch` starting at batch `start_batch` (0 <= start_batch <=
  /// batches_per_epoch()). Several iterators may be alive at once.
  EpochIterator epoch(int64_t epoch, int64_t start_batch = 0) const;
  /// Builds batch `b` of epoch `epoch` synchronously (what the iterator serves).
  Batch batch(int64_t epoch, int64_t b) const;

  const Dataset& dataset() const { return *dataset_; }
  const DataLoaderOptions& options() const { return options_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
};

/// One pass over an epoch. With prefetch > 0 a worker thread prepares batches ahead; it stops
/// and is joined when the iterator is destroyed (also early). A worker exception (e.g. from a
/// transform) is rethrown by next() at the batch where it happened.
class EpochIterator {
 public:
  EpochIterator(EpochIterator&&) noexcept;
  EpochIterator& operator=(EpochIterator&&) noexcept;
  EpochIterator(const EpochIterator&) = delete;
  EpochIterator& operator=(const EpochIterator&) = delete;
  ~EpochIterator();

  /// Stores the next batch in `out` and returns true, or returns false at the end of the epoch.
  bool next(Batch& out);
  /// Index (within the epoch) of the batch the next call to next() returns.
  int64_t batch_index() const;

  struct State;

 private:
  friend class DataLoader;
  explicit EpochIterator(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ember::data
