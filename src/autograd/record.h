// Recording ops into the autograd graph. Every differentiable op calls record() after its
// forward: when grad mode is on and an input requires grad, the outputs get a FunctionNode.
#pragma once
#include <initializer_list>
#include <utility>
#include <vector>

#include "autograd/node.h"
#include "ember/autograd.h"

namespace ember::autograd {

/// True when grad mode is on and any of the inputs requires grad.
bool needs_grad(const std::vector<Tensor>& inputs);

/// Connects outputs to inputs through a node called name. fn receives the gradient of each
/// output (undefined where none flowed) and returns one gradient per input, shaped like it
/// (undefined for inputs that need none). fn runs with grad mode off.
/// In anomaly mode the outputs are checked for non-finite values first.
void record(const char* name, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            BackwardFn fn);

/// While alive, ops skip their forward anomaly checks (the engine checks each node's gradients
/// itself, so a bad gradient is reported under the node's name, not an op inside it).
struct BackwardScope {
  BackwardScope();
  ~BackwardScope();
  bool prev;
};

/// False when record() would do nothing for these inputs: anomaly mode off, and grad mode
/// off or no input requiring grad. Hot ops test it first so that inference does not even
/// build their backward closure (whose captures copy tensor handles).
inline bool should_record(std::initializer_list<TensorRef> inputs) {
  if (anomaly_mode()) return true;
  if (!grad_enabled()) return false;
  for (TensorRef r : inputs)
    if (r.t->requires_grad()) return true;
  return false;
}

/// The form every op uses: record("add", {a, b}, {out}, closure). Returns at once, without
/// building the node's vectors or type-erasing the closure, when should_record() is false.
template <class F>
void record(const char* name, std::initializer_list<TensorRef> inputs, std::initializer_list<TensorRef> outputs,
            F&& fn) {
  if (!should_record(inputs)) return;
  std::vector<Tensor> in, out;
  in.reserve(inputs.size());
  out.reserve(outputs.size());
  for (TensorRef r : inputs) in.push_back(*r.t);
  for (TensorRef r : outputs) out.push_back(*r.t);
  record(name, in, out, BackwardFn(std::forward<F>(fn)));
}

/// Anomaly-mode check: throws naming op, shape and dtype if t holds a NaN or inf.
void check_finite(const char* op, const char* what, const Tensor& t);

}  // namespace ember::autograd
