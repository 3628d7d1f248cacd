// Recording ops into the autograd graph. Every differentiable op calls record() after its
// forward: when grad mode is on and an input requires grad, the outputs get a FunctionNode.
#pragma once
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

/// Anomaly-mode check: throws naming op, shape and dtype if t holds a NaN or inf.
void check_finite(const char* op, const char* what, const Tensor& t);

}  // namespace ember::autograd
