// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_): scales or clamps the
// .grad of parameters in place. Parameters without a gradient are skipped.
#pragma once
#include <vector>

#include "ember/tensor.h"

namespace ember::optim {

/// Total norm of all gradients taken together (as if concatenated; computed in float64), and
/// when max_norm / (total + 1e-6) < 1 every gradient is multiplied by that factor in place.
/// norm_type: p > 0 or INFINITY (max |g|). Returns the total norm before clipping (0 when no
/// parameter has a gradient). Requires max_norm >= 0; with error_if_nonfinite, throws
/// ember::Error when the total norm is NaN or infinite (gradients untouched).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient to [-clip_value, clip_value] in place. Requires clip_value >= 0.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace ember::optim
