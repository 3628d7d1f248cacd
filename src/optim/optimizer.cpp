// Optimizer base: parameter checks, the step loop over parameters with gradients, lr, and the
// generic tensor-only state_dict / load_state_dict shared by every optimizer.
#include "ember/optim/optimizer.h"

#include <cmath>
#include <set>

#include "ember/autograd.h"
#include "optim/state_io.h"

namespace ember::optim {

Optimizer::Optimizer(std::string name, std::vector<Tensor> params, std::vector<std::string> names, double lr)
    : name_(std::move(name)), params_(std::move(params)), lr_(lr) {
  EMBER_CHECK(!params_.empty(), name_, ": got an empty parameter list");
  EMBER_CHECK(names.empty() || names.size() == params_.size(), name_, ": ", names.size(), " names for ",
              params_.size(), " parameters");
  std::set<const TensorImpl*> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    EMBER_CHECK(p.defined(), name_, ": parameter ", i, " is undefined");
    EMBER_CHECK(p.is_leaf(), name_, ": can't optimize a non-leaf tensor (parameter ", i, ", ", p.str(),
                "); pass the leaf it was computed from or detach() it");
    EMBER_CHECK(p.requires_grad(), name_, ": parameter ", i, " (", p.str(), ") does not require grad");
    EMBER_CHECK(seen.insert(p.impl()).second, name_, ": parameter ", i, " appears more than once");
  }
  detail::check_hparam(lr >= 0 && std::isfinite(lr), name_, "learning rate", lr, "finite and >= 0");
  if (names.empty()) {
    for (size_t i = 0; i < params_.size(); ++i) keys_.push_back(std::to_string(i));
  } else {
    std::set<std::string> unique(names.begin(), names.end());
    EMBER_CHECK(unique.size() == names.size(), name_, ": parameter names must be distinct");
    for (const auto& n : names) EMBER_CHECK(!n.empty(), name_, ": parameter names must not be empty");
    keys_ = std::move(names);
  }
  state_.resize(params_.size());
}

void Optimizer::step() {
  NoGradGuard ng;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    EMBER_CHECK(g.shape() == p.shape(), name_, ".step: gradient of parameter '", keys_[i], "' has shape ",
                shape_str(g.shape()), ", parameter has ", shape_str(p.shape()));
    EMBER_CHECK(g.device() == p.device(), name_, ".step: gradient of parameter '", keys_[i], "' is on ",
                g.device().str(), ", parameter on ", p.device().str());
    update(i, g);
  }
  ++steps_;
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  detail::check_hparam(lr >= 0 && std::isfinite(lr), name_ + ".set_lr", "learning rate", lr, "finite and >= 0");
  lr_ = lr;
}

double Optimizer::momentum() const { EMBER_FAIL(name_, ": this optimizer has no momentum"); }
void Optimizer::set_momentum(double) { EMBER_FAIL(name_, ": this optimizer has no momentum to set"); }


StateDict Optimizer::state_dict() const {
  StateDict sd;
  sd["param_groups.lr"] = detail::f64_scalar(lr_);
  if (initial_lr_) sd["param_groups.initial_lr"] = detail::f64_scalar(*initial_lr_);
  sd["param_groups.steps"] = detail::i64_scalar(steps_);
  save_hparams(sd);
  std::vector<std::string> bufs = buffer_names();
  for (size_t i = 0; i < params_.size(); ++i) {
    const ParamState& s = state_[i];
    if (s.buffers.empty()) continue;
    std::string pre = "state." + keys_[i] + ".";
    if (has_step()) sd[pre + "step"] = detail::i64_scalar(s.step);
    for (size_t b = 0; b < bufs.size(); ++b) sd[pre + bufs[b]] = s.buffers[b].clone();
  }
  return sd;
}

void Optimizer::load_state_dict(const StateDict& sd) {
  detail::StateReader r(sd, name_ + ".load_state_dict");
  double lr = r.f64("param_groups.lr");
  detail::check_hparam(lr >= 0 && std::isfinite(lr), r.who(), "learning rate", lr, "finite and >= 0");
  std::optional<double> initial;
  if (r.has("param_groups.initial_lr")) initial = r.f64("param_groups.initial_lr");
  int64_t steps = r.i64("param_groups.steps");
  read_hparams(r);
  std::vector<std::string> bufs = buffer_names();
  std::vector<ParamState> state(params_.size());
  NoGradGuard ng;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    std::string pre = "state." + keys_[i] + ".";
    size_t present = (has_step() && r.has(pre + "step")) ? 1 : 0;
    for (const auto& b : bufs) present += r.has(pre + b) ? 1 : 0;
    if (present == 0) continue;
    if (has_step()) {
      state[i].step = r.i64(pre + "step");
      EMBER_CHECK(state[i].step >= 0, r.who(), ": key '", pre, "step' is negative (", state[i].step, ")");
    }
    for (const auto& b : bufs) {
      Tensor t = r.tensor(pre + b, p.shape());  // throws naming the missing buffer
      Tensor buf = empty(p.shape(), TensorOptions(p.dtype()).with_device(p.device()));
      buf.copy_(t);
      state[i].buffers.push_back(buf);
    }
  }
  r.finish();
  commit_hparams();
  lr_ = lr;
  initial_lr_ = initial;
  steps_ = steps;
  state_ = std::move(state);
}

}  // namespace ember::optim
