// The backward engine: topological execution of the recorded graph with gradient accumulation.
// Gradients are summed with the public add op, so the engine works on every backend.
#include <unordered_map>
#include <unordered_set>

#include "autograd/record.h"
#include "ember/ops/elementwise.h"

namespace ember {
namespace autograd {

std::vector<Tensor> AccumulateGrad::apply(const std::vector<Tensor>& grads) {
  const Tensor& g = grads[0];
  if (!g.defined()) return {};
  EMBER_CHECK(g.shape() == leaf->sizes, "backward: gradient of shape ", shape_str(g.shape()),
              " does not match its leaf of shape ", shape_str(leaf->sizes));
  Tensor gd = g.dtype() == leaf->dtype ? g : g.to(leaf->dtype);
  if (leaf->grad.defined()) leaf->grad = add(leaf->grad, gd);
  else leaf->grad = gd.is_contiguous() ? gd.detach() : gd.contiguous();
  return {};
}

namespace {

void accumulate(Tensor& slot, const Tensor& g) {
  if (!g.defined()) return;
  slot = slot.defined() ? add(slot, g) : g;
}

// Runs the graph below roots. With captures non-null, gradients reaching the captured
// tensors are stored there and leaves are left untouched.
void run(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads,
         std::unordered_map<Node*, std::vector<std::pair<uint32_t, size_t>>>* capture_at,
         std::vector<Tensor>* captured) {
  NoGradGuard no_grad;
  std::unordered_map<Node*, int> deps;
  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  std::vector<Node*> stack;
  std::unordered_set<Node*> seen;

  for (size_t r = 0; r < roots.size(); ++r) {
    Edge e = edge_for(roots[r]);
    EMBER_CHECK(e.fn != nullptr, "backward: tensor ", roots[r].str(), " does not require grad and has no grad_fn");
    if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
  }
  // Count, for each node, how many edges from inside the graph lead to it.
  std::vector<Node*> order = stack;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next) {
      if (!e.fn) continue;
      deps[e.fn.get()]++;
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }
  std::vector<std::shared_ptr<Node>> keep_alive;
  for (size_t r = 0; r < roots.size(); ++r) {
    Edge e = edge_for(roots[r]);
    keep_alive.push_back(e.fn);
    auto& buf = buffers[e.fn.get()];
    buf.resize(e.fn->num_outputs);
    accumulate(buf[e.input_nr], root_grads[r]);
  }
  std::vector<Node*> ready;
  for (Node* n : order)
    if (deps[n] == 0) ready.push_back(n);
  // Drop duplicates among roots.
  std::unordered_set<Node*> queued(ready.begin(), ready.end());
  ready.assign(queued.begin(), queued.end());

  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    std::vector<Tensor> grads = std::move(buffers[n]);
    buffers.erase(n);
    grads.resize(n->num_outputs);
    if (capture_at) {
      auto it = capture_at->find(n);
      if (it != capture_at->end())
        for (auto [out_nr, slot] : it->second) accumulate((*captured)[slot], grads[out_nr]);
    }
    std::vector<Tensor> in_grads;
    bool is_leaf_sink = dynamic_cast<AccumulateGrad*>(n) != nullptr;
    if (!(is_leaf_sink && capture_at)) {
      if (anomaly_mode())
        for (const Tensor& g : grads) check_finite(n->name(), "incoming gradient", g);
      {
        BackwardScope scope;
        in_grads = n->apply(grads);
      }
      EMBER_CHECK(is_leaf_sink || in_grads.size() == n->next.size(), "backward of ", n->name(), " returned ",
                  in_grads.size(), " gradients for ", n->next.size(), " inputs");
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      const Edge& e = n->next[i];
      if (!e.fn) continue;
      if (i < in_grads.size() && in_grads[i].defined()) {
        if (anomaly_mode()) check_finite(n->name(), "input gradient", in_grads[i]);
        auto& buf = buffers[e.fn.get()];
        buf.resize(e.fn->num_outputs);
        accumulate(buf[e.input_nr], in_grads[i]);
      }
      if (--deps[e.fn.get()] == 0) ready.push_back(e.fn.get());
    }
  }
}

std::vector<Tensor> default_grads(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads) {
  EMBER_CHECK(grads.empty() || grads.size() == roots.size(), "backward: got ", grads.size(),
              " gradients for ", roots.size(), " roots");
  std::vector<Tensor> out(roots.size());
  for (size_t i = 0; i < roots.size(); ++i) {
    if (!grads.empty() && grads[i].defined()) {
      EMBER_CHECK(grads[i].shape() == roots[i].shape(), "backward: gradient shape ", shape_str(grads[i].shape()),
                  " does not match output shape ", shape_str(roots[i].shape()));
      out[i] = grads[i];
    } else {
      EMBER_CHECK(roots[i].numel() == 1, "backward: grad can be implicitly created only for one-element outputs, "
                  "got shape ", shape_str(roots[i].shape()));
      out[i] = ones_like(roots[i]);
    }
  }
  return out;
}

}  // namespace
}  // namespace autograd

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads) {
  autograd::run(roots, autograd::default_grads(roots, grads), nullptr, nullptr);
}

void Tensor::backward(const Tensor& grad_output) const {
  ember::backward({*this}, {grad_output});
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs) {
  std::unordered_map<autograd::Node*, std::vector<std::pair<uint32_t, size_t>>> capture_at;
  std::vector<std::shared_ptr<autograd::Node>> keep;
  for (size_t i = 0; i < inputs.size(); ++i) {
    autograd::Edge e = autograd::edge_for(inputs[i]);
    EMBER_CHECK(e.fn != nullptr, "grad: input ", i, " does not require grad");
    keep.push_back(e.fn);
    capture_at[e.fn.get()].push_back({e.input_nr, i});
  }
  std::vector<Tensor> captured(inputs.size());
  autograd::run(outputs, autograd::default_grads(outputs, grad_outputs), &capture_at, &captured);
  return captured;
}

}  // namespace ember
