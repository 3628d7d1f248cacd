// Float64 finite-difference check of a module's parameter gradients (the input side is the op
// harness's gradcheck): every parameter element's central difference against backward().
#pragma once
#include <gtest/gtest.h>

#include "ember/ember.h"

namespace ember::test {

/// Central-difference check of d(sum(net(x) * w))/d(param), w a fixed random weight, for every
/// element of every parameter of net, against the gradients backward() leaves on them:
/// |numeric - analytic| <= tol + 1e-4 |numeric|. Requires a float64 module and input and a
/// forward that is deterministic for a given input (BatchNorm in training mode qualifies: its
/// running-statistics update does not change the output). Clears net's gradients first.
::testing::AssertionResult check_param_grads(nn::Module& net, const Tensor& x, double eps = 1e-6, double tol = 1e-6);

/// After a backward(): every parameter of net has a defined gradient of its own shape, finite and
/// not all zero. Success names how many parameters were checked; failure names the first that
/// is not.
::testing::AssertionResult gradients_reach_every_parameter(const nn::Module& net, int64_t* count = nullptr);

}  // namespace ember::test
