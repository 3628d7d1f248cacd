// Helpers for the tensor-only state dicts of optimizers and schedules: 0-dim scalar tensors
// and a reader that validates keys, types and shapes and reports unused (unexpected) keys.
#pragma once
#include <set>
#include <string>

#include "ember/optim/optimizer.h"

namespace ember::optim::detail {

/// 0-dim float64 / int64 tensors holding v.
Tensor f64_scalar(double v);
Tensor i64_scalar(int64_t v);

class StateReader {
 public:
  /// who names the caller in messages ("SGD.load_state_dict").
  StateReader(const StateDict& sd, std::string who) : sd_(sd), who_(std::move(who)) {}

  bool has(const std::string& key) const { return sd_.count(key) != 0; }
  /// A one-element numeric tensor's value. Throws if missing or not one element.
  double f64(const std::string& key);
  /// As f64, requiring an integral value.
  int64_t i64(const std::string& key);
  /// A floating tensor of exactly `shape`.
  Tensor tensor(const std::string& key, const Shape& shape);
  /// Every entry whose key starts with prefix, with the prefix stripped (marked used).
  StateDict sub(const std::string& prefix);
  /// Throws naming the first key nothing read.
  void finish() const;
  const std::string& who() const { return who_; }

 private:
  const Tensor& get(const std::string& key);
  const StateDict& sd_;
  std::string who_;
  std::set<std::string> used_;
};

/// Throws "<who>: invalid <what> <v> (expected <expect>)" unless ok.
void check_hparam(bool ok, const std::string& who, const char* what, double v, const char* expect);

}  // namespace ember::optim::detail
