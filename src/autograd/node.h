// Graph nodes for reverse-mode autograd: a Node turns gradients of its outputs into gradients
// of its inputs; Edges point at the nodes that produced those inputs.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "core/tensor_impl.h"

namespace ember::autograd {

struct Node;

struct Edge {
  std::shared_ptr<Node> fn;  // null: the input does not need a gradient
  uint32_t input_nr = 0;     // which output of fn this input was
};

struct Node {
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  /// grad_outputs[i] is the gradient of output i (undefined when none flowed there).
  /// Returns one gradient per entry of next (undefined allowed).
  virtual std::vector<Tensor> apply(const std::vector<Tensor>& grad_outputs) = 0;

  std::vector<Edge> next;
  uint32_t num_outputs = 1;
  std::vector<Shape> output_shapes;  // for error messages and anomaly mode
};

/// The sink for a leaf that requires grad: adds the incoming gradient into leaf.grad.
struct AccumulateGrad : Node {
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> l) : leaf(std::move(l)) {}
  const char* name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> apply(const std::vector<Tensor>& grads) override;
  std::shared_ptr<TensorImpl> leaf;
};

using BackwardFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& grad_outputs)>;

/// A node whose backward is a closure (what every op records).
struct FunctionNode : Node {
  FunctionNode(const char* n, BackwardFn f) : name_(n), fn(std::move(f)) {}
  const char* name() const override { return name_; }
  std::vector<Tensor> apply(const std::vector<Tensor>& grads) override { return fn(grads); }
  const char* name_;
  BackwardFn fn;
};

/// The edge a gradient for t should flow along (creating the leaf's AccumulateGrad if needed).
Edge edge_for(const Tensor& t);

}  // namespace ember::autograd
