// The hooks ops call at their top to take part in autocast (see ember/autocast.h). Each returns the
// op's operands cast as the autocast policy asks, or nullopt when autocast is off or nothing
// needs a cast, so an op hooks in with one line that re-calls itself on the cast operands:
//   if (auto c = amp::detail::autocast_lower({a, b})) return matmul((*c)[0], (*c)[1]);
#pragma once
#include <initializer_list>
#include <optional>
#include <vector>

#include "ember/tensor.h"

namespace ember::amp::detail {

/// Ops on the low-precision list (matmul, linear, conv2d): float32/float16/bfloat16 operands
/// not already in the autocast dtype are cast to it. Undefined, integer and float64 tensors
/// pass unchanged. nullopt when autocast is off or every operand is already as wanted.
std::optional<std::vector<Tensor>> autocast_lower(std::initializer_list<Tensor> ts);

/// Ops on the float32 list (softmax, losses, norms): float16/bfloat16 operands are cast to
/// float32. nullopt when autocast is off or no operand is float16/bfloat16.
std::optional<std::vector<Tensor>> autocast_fp32(std::initializer_list<Tensor> ts);

}  // namespace ember::amp::detail
