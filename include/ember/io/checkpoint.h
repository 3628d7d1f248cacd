// Training checkpoints: model parameters and buffers, optimizer and scheduler state, and string
// metadata (epoch, step, RNG state, config) in one safetensors file, so `--resume` restores a run
// exactly and any safetensors reader can inspect it. Layout in docs/file-formats.md.
#pragma once
#include <map>
#include <string>

#include "ember/random.h"
#include "ember/tensor.h"

namespace ember::io {

struct Checkpoint {
  std::map<std::string, Tensor> model;      // stored as "model/<name>"
  std::map<std::string, Tensor> optimizer;  // stored as "optimizer/<name>"
  std::map<std::string, Tensor> scheduler;  // stored as "scheduler/<name>"
  /// Free-form strings (e.g. "epoch", "step", "rng", "config"); the keys "format" and
  /// "version" are reserved for the file's own marker.
  std::map<std::string, std::string> meta;
};

inline constexpr const char* kCheckpointFormat = "ember-checkpoint";
inline constexpr const char* kCheckpointVersion = "1";

/// Saves `ckpt` atomically as a safetensors file with metadata
/// {"format": "ember-checkpoint", "version": "1", ...meta}. Requires meta without "format" or
/// "version" keys.
void save_checkpoint(const std::string& path, const Checkpoint& ckpt);

/// Loads a file written by save_checkpoint. Throws ember::Error naming the file when it is not a
/// checkpoint (e.g. a plain weights file), has an unsupported version, or holds a tensor key
/// outside the model/, optimizer/ and scheduler/ sections.
Checkpoint load_checkpoint(const std::string& path);

/// The complete state of a generator (seed, engine state, cached normal sample) as a string,
/// and back. Restoring makes the generator produce exactly the sequence it would have produced
/// after the save. A malformed state string throws ember::Error and leaves `g` unchanged.
std::string generator_state(const Generator& g);
void set_generator_state(Generator& g, const std::string& state);

}  // namespace ember::io
