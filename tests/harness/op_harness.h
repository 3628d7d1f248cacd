// The op harness every op test uses: closeness checks against reference values, a float64
// finite-difference gradient check, and helpers for awkward inputs (non-contiguous views,
// broadcasting, size-0/1 dims). Later backends run the same cases against the CPU reference.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::test {

/// Asserts same shape and |a-b| <= atol + rtol*|b| elementwise (NaNs must match).
::testing::AssertionResult allclose(const Tensor& actual, const Tensor& expected, double rtol = 1e-5, double atol = 1e-6);
#define EXPECT_ALLCLOSE(a, b, ...) EXPECT_TRUE(::ember::test::allclose((a), (b), ##__VA_ARGS__))

/// A tensor from nested values, e.g. T({1,2,3,4}, {2,2}).
Tensor T(const std::vector<double>& values, const Shape& shape, DType dtype = DType::Float64);

/// Random float64 tensor (uniform in [lo,hi)) from a fixed per-call seed: deterministic tests.
Tensor uniform(const Shape& shape, double lo = -1.0, double hi = 1.0, uint64_t seed = 1);

/// Finite-difference gradient check in float64. f maps the inputs to any tensor; the check
/// compares d(sum(f * w))/d(input) for a random weight w against central differences with
/// step eps. Inputs must be float64 leaves (they get requires_grad set). Only inputs whose
/// index is in `check` (all when empty) are compared.
::testing::AssertionResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                     std::vector<Tensor> inputs, double eps = 1e-6, double atol = 1e-5,
                                     double rtol = 1e-4, std::vector<size_t> check = {});
#define EXPECT_GRADCHECK(...) EXPECT_TRUE(::ember::test::gradcheck(__VA_ARGS__))

/// Central difference (f(x+eps) - f(x-eps)) / (2 eps) of objective with respect to *x, which is
/// restored afterwards. Requires objective to read *x (e.g. a float64 tensor's element).
double central_difference(double* x, const std::function<double()>& objective, double eps);

/// A non-contiguous copy of x with the same values (the transpose of a transposed copy).
Tensor noncontiguous(const Tensor& x);

/// Expects f() to throw ember::Error whose message contains every fragment.
#define EXPECT_EMBER_ERROR(stmt, ...)                                                         \
  do {                                                                                        \
    try {                                                                                     \
      (void)(stmt);                                                                           \
      ADD_FAILURE() << "expected ember::Error from " #stmt;                                   \
    } catch (const ::ember::Error& e) {                                                       \
      for (const char* frag : {__VA_ARGS__})                                                  \
        EXPECT_NE(std::string(e.what()).find(frag), std::string::npos)                        \
            << "message '" << e.what() << "' lacks '" << frag << "'";                         \
    }                                                                                         \
  } while (0)

}  // namespace ember::test
