// The differentiable conversion to the channels-last layout of core/memory_format.h (an op: it
// records itself for autograd, so it lives above core).
#pragma once
#include "core/memory_format.h"

namespace ember {

/// t itself when it is channels-last, else a channels-last copy (recorded for autograd as a
/// copy). Requires a 4-D tensor.
Tensor to_channels_last(const Tensor& t);

}  // namespace ember
