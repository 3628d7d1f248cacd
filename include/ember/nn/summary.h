// nn::summarize: runs one forward pass of a module on zeros while a ModuleObserver watches it,
// and reports one row per module call (name, type, depth, input and output shapes, parameters,
// forward FLOPs) with totals (parameters, FLOPs, parameter/buffer/activation/input memory), as
// torchinfo's summary() and Keras' model.summary() do. module_flops is the FLOP count of one
// call of a layer, for tools that need it per layer (roofline reports).
//
// FLOP convention (fvcore's and ptflops' "MACs" times two): a multiply-accumulate is 2 FLOPs.
//   Conv2d            2 * N*Cout*OH*OW * (Cin/groups)*KH*KW, plus N*Cout*OH*OW with a bias
//   Linear            2 * rows*in*out, plus rows*out with a bias (rows: input numel / in)
//   BatchNorm2d       per element: 2 to normalise (subtract the mean, multiply by 1/std), 2 more
//                     with affine (multiply by weight, add bias); in training mode 4 more for
//                     the batch statistics (mean: 1 add; variance: subtract, multiply, add)
//   LayerNorm         per element: 4 for the statistics, 2 to normalise, 2 more with affine
//   ReLU, LeakyReLU, GELU, Tanh, Sigmoid: 1 per element
//   MaxPool2d, AvgPool2d, AdaptiveAvgPool2d: 1 per input element (elements read)
//   Dropout           0 in eval mode (the identity), 1 per element in training mode
//   Flatten, Embedding, an empty Sequential: 0 (a view, a gather, the identity)
//   LSTM, GRU         per layer and direction, rows = T*B: 2 * rows*G*H*(I+H) for the two
//                     matrix products (G = 4 LSTM, 3 GRU; I the layer's input size), plus
//                     2 * rows*G*H with biases, plus per hidden unit and step 9 (LSTM: 5
//                     activations, 4 products and sums) or 10 (GRU: 3 activations, 7 others)
// Only module calls are counted: ops a forward runs itself (ResNet's
// residual add; MultiheadAttention's in-projection and attention, whose out_proj call is
// counted) are not seen. A row with children's calls inside it (a container) shows the sum
// of those calls' FLOPs; the total is the sum over innermost calls, so nothing counts twice.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ember/nn/module.h"

namespace ember::nn {

/// One module call of the summarised forward pass.
struct SummaryRow {
  std::string name;   // dotted path as named_modules() gives it ("layer1.0.conv1"); "" for the
                      // summarised module itself; "<unregistered>" for a module that is not a
                      // descendant of it
  std::string type;   // Module::name(): "Conv2d", "Sequential", "BasicBlock"
  int depth = 0;      // call nesting: 0 for the summarised module, 1 for the calls it makes, ...
  bool innermost = true;  // no module call was made inside this one (a layer, not a container)
  Shape input_shape, output_shape;  // batch dimension included
  int64_t input_bytes = 0, output_bytes = 0;
  int64_t params = 0;            // of the module and its descendants (a shared tensor once)
  int64_t trainable_params = 0;  // of those, the ones with requires_grad
  int64_t flops = 0;             // forward FLOPs of this call (see the convention above); for a
                                 // container, the sum of the calls made inside it
  bool flops_known = true;       // false: an innermost module module_flops does not know (its
                                 // flops are 0), or a container with such a call inside
};

/// What summarize found: the rows and the totals of the whole module at the input's batch.
struct Summary {
  std::vector<SummaryRow> rows;  // in call order: a container's row before its calls' rows
  Shape input_shape, output_shape;
  int64_t params = 0;                // every parameter once (Module::num_parameters())
  int64_t trainable_params = 0;      // of those, requires_grad
  int64_t non_trainable_params = 0;  // params - trainable_params
  int64_t flops = 0;                 // sum over innermost calls
  int64_t unknown_flop_calls = 0;    // innermost calls counted as 0 FLOPs (type not known)
  std::map<DType, int64_t> param_bytes_by_dtype;
  int64_t param_bytes = 0;   // sum of param_bytes_by_dtype
  int64_t buffer_bytes = 0;  // every buffer once (running statistics, num_batches_tracked)
  int64_t input_bytes = 0;   // the input tensor
  /// The bytes of every innermost call's output at this batch: the forward activations a
  /// training step keeps for backward (views such as Flatten's output counted as copies).
  /// torchinfo's "Forward/backward pass size" is twice this (it adds their gradients).
  int64_t activation_bytes = 0;
  /// input + parameters + buffers + activations: the memory one forward at this batch needs
  /// when its activations are kept (gradients and optimizer state not included).
  int64_t total_bytes() const { return input_bytes + param_bytes + buffer_bytes + activation_bytes; }
};

struct SummaryOptions {
  DType dtype = DType::Float32;  // of the zeros fed to the module
  Device device = Device();      // where the zeros are made; the module's parameters must be there
};

/// Runs m once on zeros of input_shape (options' dtype and device) in eval mode without
/// autograd, recording every call made through Module::operator(), and returns the rows and
/// totals. Each module's training flag is restored afterwards, also when forward throws.
/// Requires input_shape's sizes >= 1 and an input m accepts; a failing forward throws
/// ember::Error naming the module call that failed and its input shape. Not thread-safe for
/// the same module (the forward changes no state in eval mode, but modes are switched).
Summary summarize(Module& m, const Shape& input_shape, const SummaryOptions& options = {});

/// Forward FLOPs of one call of the layer m (see the convention above) that took an input of
/// shape `input` and returned one of shape `output`, in m's current training mode; nullopt for
/// a module type the convention does not cover (any module with children among them, except
/// that an empty Sequential is 0).
std::optional<int64_t> module_flops(const Module& m, const Shape& input, const Shape& output);

}  // namespace ember::nn
