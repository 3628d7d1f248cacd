// Op cases that run on any device and are compared against the CPU reference (ggml's
// test-backend-ops): one named case per op and awkward input (broadcast, strided, odd sizes),
// each returning its outputs and input gradients moved to the CPU. Every GPU backend's test
// instantiates them all; per-family files in tests/harness/cases/ define them.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::test {

struct BackendCase {
  std::string name;  // a gtest-safe identifier: letters, digits and '_'
  /// Builds seeded inputs on the CPU, moves them to d, runs the op (and its backward when the
  /// case wants gradients), and returns every result moved to the CPU.
  std::function<std::vector<Tensor>(const Device& d)> run;
  double rtol = 1e-4, atol = 1e-5;
  /// True for a case that some backend may legitimately run through the CPU fallback.
  bool may_fall_back = false;
};

/// Every case of every family (names unique).
const std::vector<BackendCase>& backend_cases();
std::vector<std::string> backend_case_names();
const BackendCase& backend_case(const std::string& name);

/// Runs c on d and on the CPU, and expects every result to match within the case's
/// tolerances, and (unless c.may_fall_back) that d ran it without the CPU fallback.
void expect_case_matches_cpu(const BackendCase& c, const Device& d);

// ---- helpers for writing cases ------------------------------------------------------------
/// Seeded uniform values in [lo,hi) of shape s and dtype t, on device d; a leaf requiring
/// grad when grad is set.
Tensor input_on(const Device& d, const Shape& s, uint64_t seed, bool grad = false, DType t = DType::Float32,
                double lo = -1.0, double hi = 1.0);
/// {y, d(sum(y*w))/d(inputs)...} with a fixed seeded w, all moved to the CPU. Requires inputs
/// to be leaves requiring grad.
std::vector<Tensor> with_grads(const Tensor& y, const std::vector<Tensor>& inputs);
/// Every tensor moved to the CPU.
std::vector<Tensor> on_cpu(const std::vector<Tensor>& ts);

/// Sets an environment variable for its lifetime, restoring the previous value (cases use it
/// to force a backend's alternative code path, e.g. EMBER_OPENCL_ROWS=groups).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// Per-family case lists (tests/harness/cases/<family>_cases.cpp).
std::vector<BackendCase> copy_cases();
std::vector<BackendCase> elementwise_cases();
std::vector<BackendCase> reduce_cases();
std::vector<BackendCase> matmul_cases();
std::vector<BackendCase> conv_cases();
std::vector<BackendCase> pool_cases();
std::vector<BackendCase> norm_cases();
std::vector<BackendCase> softmax_cases();
std::vector<BackendCase> index_cases();
std::vector<BackendCase> training_cases();
std::vector<BackendCase> rnn_cases();
std::vector<BackendCase> attention_cases();

}  // namespace ember::test
