// Autograd controls: grad mode (NoGradGuard), anomaly mode, and backward on several roots.
#pragma once
#include <vector>

#include "ember/tensor.h"

namespace ember {

/// True while gradients are recorded (the default).
bool grad_enabled();
void set_grad_enabled(bool on);

/// RAII: disables graph recording in its scope (restores the previous state on exit).
class NoGradGuard {
 public:
  NoGradGuard() : prev_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;
 private:
  bool prev_;
};

/// Anomaly mode: every op checks its outputs and backward checks its gradients for NaN/inf,
/// throwing ember::Error naming the op, shape and dtype where the first non-finite appeared.
bool anomaly_mode();
void set_anomaly_mode(bool on);

/// Runs backward from several roots at once. grads[i] may be undefined for scalar roots.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads = {});

/// d(outputs)/d(inputs) without touching .grad of leaves.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {});

}  // namespace ember
