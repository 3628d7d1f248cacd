// The backend case registry and the comparison against the CPU (see backend_cases.h).
#include "harness/backend_cases.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "core/fallback.h"
#include "harness/op_harness.h"

namespace ember::test {

const std::vector<BackendCase>& backend_cases() {
  static const std::vector<BackendCase> all = [] {
    std::vector<BackendCase> v;
    for (auto family : {copy_cases, elementwise_cases, reduce_cases, matmul_cases, conv_cases, pool_cases,
                        norm_cases, softmax_cases, index_cases, training_cases, rnn_cases, attention_cases})
      for (BackendCase& c : family()) v.push_back(std::move(c));
    std::map<std::string, int> seen;
    for (const BackendCase& c : v)
      if (seen[c.name]++) throw std::logic_error("duplicate backend case " + c.name);
    return v;
  }();
  return all;
}

std::vector<std::string> backend_case_names() {
  std::vector<std::string> names;
  for (const BackendCase& c : backend_cases()) names.push_back(c.name);
  return names;
}

const BackendCase& backend_case(const std::string& name) {
  for (const BackendCase& c : backend_cases())
    if (c.name == name) return c;
  throw std::logic_error("no backend case " + name);
}

void expect_case_matches_cpu(const BackendCase& c, const Device& d) {
  std::vector<Tensor> want = c.run(Device("cpu"));
  const uint64_t before = fallback::calls();
  std::vector<Tensor> got = c.run(d);
  const uint64_t fell_back = fallback::calls() - before;
  if (!c.may_fall_back)
    EXPECT_EQ(fell_back, 0u) << c.name << ": " << fell_back << " kernel call(s) ran through the CPU fallback on " << d.str();
  ASSERT_EQ(got.size(), want.size()) << c.name;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_TRUE(got[i].defined() && want[i].defined()) << c.name << " result " << i;
    EXPECT_EQ(got[i].device(), Device("cpu")) << c.name << " result " << i << " was not moved to the CPU";
    EXPECT_EQ(got[i].dtype(), want[i].dtype()) << c.name << " result " << i;
    EXPECT_TRUE(allclose(got[i].to(DType::Float64), want[i].to(DType::Float64), c.rtol, c.atol))
        << c.name << " result " << i << " on " << d.str();
  }
}

Tensor input_on(const Device& d, const Shape& s, uint64_t seed, bool grad, DType t, double lo, double hi) {
  Tensor x = uniform(s, lo, hi, seed).to(t).to(d);
  if (grad) x.set_requires_grad(true);
  return x;
}

std::vector<Tensor> with_grads(const Tensor& y, const std::vector<Tensor>& inputs) {
  Tensor w = uniform(y.shape(), -1.0, 1.0, 977).to(y.dtype()).to(y.device());
  sum(mul(y, w)).backward();
  std::vector<Tensor> out{y.detach().to(Device("cpu"))};
  for (const Tensor& x : inputs) out.push_back(x.grad().to(Device("cpu")));
  return out;
}

std::vector<Tensor> on_cpu(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  for (const Tensor& t : ts) out.push_back(t.to(Device("cpu")));
  return out;
}

ScopedEnv::ScopedEnv(const char* name, const char* value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old, had_ = true;
  setenv(name, value, 1);
}

ScopedEnv::~ScopedEnv() {
  if (had_) setenv(name_, old_.c_str(), 1);
  else unsetenv(name_);
}

}  // namespace ember::test
