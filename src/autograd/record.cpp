// Graph recording, grad mode and anomaly mode.
#include "autograd/record.h"

#include <cmath>

#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"

namespace ember {

namespace {
thread_local bool g_grad_enabled = true;
bool g_anomaly = false;
}  // namespace

bool grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool on) { g_grad_enabled = on; }
bool anomaly_mode() { return g_anomaly; }
void set_anomaly_mode(bool on) { g_anomaly = on; }

namespace autograd {

Edge edge_for(const Tensor& t) {
  TensorImpl* i = t.impl();
  if (i->grad_fn) return Edge{i->grad_fn, i->output_nr};
  if (!i->requires_grad) return Edge{};
  std::shared_ptr<Node> acc = i->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    i->grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

namespace {
thread_local bool g_in_check = false;  // the check itself runs ops; do not check those
thread_local bool g_in_backward = false;
}  // namespace

BackwardScope::BackwardScope() : prev(g_in_backward) { g_in_backward = true; }
BackwardScope::~BackwardScope() { g_in_backward = prev; }

void check_finite(const char* op, const char* what, const Tensor& t) {
  if (g_in_check || !t.defined() || !is_floating(t.dtype()) || t.numel() == 0) return;
  struct Reset {
    ~Reset() { g_in_check = false; }
  } reset;
  g_in_check = true;
  NoGradGuard ng;
  Tensor bad = logical_not(isfinite(t));
  if (any(bad).item<bool>())
    EMBER_FAIL("anomaly: ", op, " produced a non-finite value in its ", what, " (shape ", shape_str(t.shape()),
               ", dtype ", dtype_name(t.dtype()), ")");
}

void record(const char* name, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            BackwardFn fn) {
  if (g_anomaly && !g_in_backward)
    for (const Tensor& o : outputs) check_finite(name, "output", o);
  if (!needs_grad(inputs)) return;
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  node->next.reserve(inputs.size());
  for (const Tensor& t : inputs) node->next.push_back(t.defined() ? edge_for(t) : Edge{});
  node->num_outputs = static_cast<uint32_t>(outputs.size());
  for (uint32_t k = 0; k < outputs.size(); ++k) {
    TensorImpl* o = outputs[k].impl();
    node->output_shapes.push_back(o->sizes);
    if (!is_floating(o->dtype)) continue;  // integer outputs (indices) carry no gradient
    o->grad_fn = node;
    o->output_nr = k;
  }
}

}  // namespace autograd
}  // namespace ember
