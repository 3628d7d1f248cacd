// Optimizer: the base of ember's optimizers (SGD, Adam, AdamW). It owns the parameter list,
// the learning rate and per-parameter state, and saves/loads all of it as tensors so a
// checkpoint can keep an optimizer in one safetensors file next to the model weights.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ember/tensor.h"

namespace ember::optim {

/// Flat name -> tensor map used by every state_dict() in ember::optim.
using StateDict = std::map<std::string, Tensor>;

namespace detail {
class StateReader;
}

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient (parameters without one are skipped,
  /// as in PyTorch). Parameters are written in place with gradient recording off.
  /// Requires each gradient to have its parameter's shape and device.
  virtual void step();
  /// Drops every parameter's gradient (PyTorch's set_to_none=True default).
  void zero_grad();

  double lr() const { return lr_; }
  /// Requires lr >= 0 and finite.
  void set_lr(double lr);
  /// The lr schedulers treat as the base: recorded by the first scheduler attached (PyTorch's
  /// group["initial_lr"]); the current lr until then.
  double initial_lr() const { return initial_lr_ ? *initial_lr_ : lr_; }
  bool has_initial_lr() const { return initial_lr_.has_value(); }
  void set_initial_lr(double lr) { initial_lr_ = lr; }

  /// Whether the optimizer has a momentum-like coefficient a scheduler may cycle (SGD's
  /// momentum when constructed with momentum > 0, Adam's beta1).
  virtual bool has_momentum() const { return false; }
  /// Requires has_momentum().
  virtual double momentum() const;
  /// Requires has_momentum() and a value valid for the optimizer.
  virtual void set_momentum(double m);

  /// true (the default): float32/float64 contiguous parameters update in one fused pass
  /// when their device has the kernel (CPU, OpenCL); false: every update runs through tensor
  /// ops (any device and dtype). On the CPU both give bit-identical results.
  void set_fused(bool on) { fused_ = on; }
  bool fused() const { return fused_; }

  const std::vector<Tensor>& params() const { return params_; }
  /// The state key of each parameter: the names given at construction, else "0", "1", ...
  const std::vector<std::string>& keys() const { return keys_; }
  /// Steps taken (calls to step()).
  int64_t steps() const { return steps_; }
  /// The optimizer's name in messages ("SGD", "Adam", "AdamW").
  const std::string& name() const { return name_; }

  /// All state as tensors (copies): "param_groups.<hyper-parameter>" 0-dim float64/int64
  /// scalars (lr, ...), and "state.<key>.<buffer>" per parameter that has state.
  StateDict state_dict() const;
  /// Restores state_dict() output. Validates every key, shape and value first and throws
  /// ember::Error naming the offending key (missing, unexpected, wrong shape); on error the
  /// optimizer is unchanged. Buffers are converted to each parameter's dtype and device.
  void load_state_dict(const StateDict& sd);

 protected:
  /// Requires a non-empty list of distinct leaf tensors that require grad; names, when
  /// given, parallel to params and distinct.
  Optimizer(std::string name, std::vector<Tensor> params, std::vector<std::string> names, double lr);

  /// Per-parameter state: step count and buffers (empty until the first update).
  struct ParamState {
    int64_t step = 0;
    std::vector<Tensor> buffers;
  };
  /// Names of the per-parameter buffers, in ParamState::buffers order.
  virtual std::vector<std::string> buffer_names() const = 0;
  /// Whether ParamState::step is part of the state ("state.<key>.step").
  virtual bool has_step() const { return false; }
  /// Updates params_[i] in place from grad (same shape/device), grad mode off.
  virtual void update(size_t i, const Tensor& grad) = 0;
  /// Hyper-parameters other than lr, as "param_groups.*" entries.
  virtual void save_hparams(StateDict& sd) const = 0;
  /// Reads and validates them (throw on bad values); applied only by commit_hparams().
  virtual void read_hparams(detail::StateReader& r) = 0;
  virtual void commit_hparams() = 0;

  std::string name_;
  std::vector<Tensor> params_;
  std::vector<std::string> keys_;
  std::vector<ParamState> state_;
  double lr_;
  std::optional<double> initial_lr_;
  int64_t steps_ = 0;
  bool fused_ = true;
};

}  // namespace ember::optim
