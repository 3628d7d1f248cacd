// Scalar tensors and the validating state-dict reader shared by optimizers and schedules.
#include "optim/state_io.h"

#include <cmath>

namespace ember::optim::detail {

Tensor f64_scalar(double v) { return scalar_tensor(v, TensorOptions(DType::Float64)); }
Tensor i64_scalar(int64_t v) { return from_vector(std::vector<int64_t>{v}, {}); }

const Tensor& StateReader::get(const std::string& key) {
  auto it = sd_.find(key);
  EMBER_CHECK(it != sd_.end(), who_, ": missing key '", key, "'");
  EMBER_CHECK(it->second.defined(), who_, ": key '", key, "' holds an undefined tensor");
  used_.insert(key);
  return it->second;
}

double StateReader::f64(const std::string& key) {
  const Tensor& t = get(key);
  EMBER_CHECK(t.numel() == 1, who_, ": key '", key, "' must hold one value, got shape ", shape_str(t.shape()));
  return t.item<double>();
}

int64_t StateReader::i64(const std::string& key) {
  double v = f64(key);
  EMBER_CHECK(std::isfinite(v) && v == std::floor(v) && std::abs(v) < 9.0e15, who_, ": key '", key,
              "' must hold an integer, got ", v);
  return static_cast<int64_t>(v);
}

Tensor StateReader::tensor(const std::string& key, const Shape& shape) {
  const Tensor& t = get(key);
  EMBER_CHECK(t.shape() == shape, who_, ": key '", key, "' has shape ", shape_str(t.shape()),
              ", expected ", shape_str(shape));
  EMBER_CHECK(is_floating(t.dtype()), who_, ": key '", key, "' has dtype ", dtype_name(t.dtype()),
              ", expected a floating dtype");
  return t;
}

StateDict StateReader::sub(const std::string& prefix) {
  StateDict out;
  for (auto it = sd_.lower_bound(prefix); it != sd_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out[it->first.substr(prefix.size())] = it->second;
    used_.insert(it->first);
  }
  return out;
}

void StateReader::finish() const {
  for (const auto& [key, t] : sd_)
    EMBER_CHECK(used_.count(key), who_, ": unexpected key '", key, "' (state from a different optimizer, "
                "schedule or parameter list?)");
}

void check_hparam(bool ok, const std::string& who, const char* what, double v, const char* expect) {
  EMBER_CHECK(ok, who, ": invalid ", what, " ", v, " (expected ", expect, ")");
}

}  // namespace ember::optim::detail
