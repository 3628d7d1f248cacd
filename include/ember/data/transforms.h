// Batch transforms for image batches (N,C,H,W float32 on the CPU): Normalize, RandomShift,
// RandomCrop, RandomHorizontalFlip and Compose. Each transform is a callable
// (Batch&, Generator&) and converts to a BatchTransform; random ones draw per sample, in sample
// order, from the generator they are given, so a DataLoader that seeds that generator from
// (seed, epoch, batch index) gets the same augmentation on every run and thread layout.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "ember/data/dataset.h"
#include "ember/random.h"

namespace ember::data {

/// A transform of a whole batch in place of the batch (it may replace batch.inputs/targets).
using BatchTransform = std::function<void(Batch& batch, Generator& gen)>;

/// Per-channel (x - mean[c]) / std[c]. mean and std hold one value per channel, or one value
/// for all channels; every std must be > 0. Deterministic.
struct Normalize {
  Normalize(std::vector<double> mean, std::vector<double> std);
  void operator()(Batch& batch, Generator& gen) const;
  std::vector<double> mean, std;
};

/// Random integer translation per sample: dy then dx are drawn, each as
/// (gen.next_u64() % (2*max_pixels+1)) - max_pixels, and the content moves by (dy, dx):
/// out[y][x] = in[y-dy][x-dx], with `fill` where that falls outside (pad + random crop).
/// Requires max_pixels >= 0.
struct RandomShift {
  explicit RandomShift(int64_t max_pixels, double fill = 0.0);
  void operator()(Batch& batch, Generator& gen) const;
  int64_t max_pixels;
  double fill;
};

/// torchvision RandomCrop: pads each side by `padding` (zeros) and crops a size x size window
/// at a random offset per sample (top drawn first, then left, each uniform over the valid
/// range via gen.next_u64() % range). Requires size >= 1, padding >= 0 and size <= H+2p, W+2p.
struct RandomCrop {
  explicit RandomCrop(int64_t size, int64_t padding = 0);
  void operator()(Batch& batch, Generator& gen) const;
  int64_t size, padding;
};

/// Mirrors each sample left-right with probability p (one gen.uniform() draw per sample,
/// flipped when < p). Requires 0 <= p <= 1.
struct RandomHorizontalFlip {
  explicit RandomHorizontalFlip(double p = 0.5);
  void operator()(Batch& batch, Generator& gen) const;
  double p;
};

/// Applies transforms in order (empty ones are skipped).
struct Compose {
  explicit Compose(std::vector<BatchTransform> transforms);
  void operator()(Batch& batch, Generator& gen) const;
  std::vector<BatchTransform> transforms;
};

}  // namespace ember::data
