// Adam and AdamW: hyper-parameter checks, the per-parameter update (fused CPU loop or tensor
// ops) and the hyper-parameters' place in the state dict.
#include "ember/optim/adam.h"

#include <cmath>

#include "optim/state_io.h"
#include "optim/update_kernels.h"

namespace ember::optim {
namespace {

void validate(double lr, double b1, double b2, double eps, double wd, const std::string& who) {
  using detail::check_hparam;
  check_hparam(lr >= 0 && std::isfinite(lr), who, "learning rate", lr, "finite and >= 0");
  check_hparam(eps >= 0 && std::isfinite(eps), who, "epsilon", eps, "finite and >= 0");
  check_hparam(b1 >= 0 && b1 < 1, who, "beta1", b1, "0 <= beta1 < 1");
  check_hparam(b2 >= 0 && b2 < 1, who, "beta2", b2, "0 <= beta2 < 1");
  check_hparam(wd >= 0 && std::isfinite(wd), who, "weight_decay", wd, "finite and >= 0");
}

}  // namespace

Adam::Adam(std::string name, std::vector<Tensor> params, std::vector<std::string> names, double lr, double beta1,
           double beta2, double eps, double weight_decay, bool decoupled)
    : Optimizer(std::move(name), std::move(params), std::move(names), lr),
      beta1_(beta1), beta2_(beta2), eps_(eps), weight_decay_(weight_decay), decoupled_(decoupled) {
  validate(lr, beta1, beta2, eps, weight_decay, name_);
}

Adam::Adam(std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps, double weight_decay)
    : Adam("Adam", std::move(params), {}, lr, betas.first, betas.second, eps, weight_decay, false) {}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& o, std::vector<std::string> names)
    : Adam("Adam", std::move(params), std::move(names), o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, false) {}

AdamW::AdamW(std::vector<Tensor> params, double lr, std::pair<double, double> betas, double eps, double weight_decay)
    : Adam("AdamW", std::move(params), {}, lr, betas.first, betas.second, eps, weight_decay, true) {}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& o, std::vector<std::string> names)
    : Adam("AdamW", std::move(params), std::move(names), o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, true) {}

void Adam::set_momentum(double m) {
  detail::check_hparam(m >= 0 && m < 1, name_ + ".set_momentum", "beta1", m, "0 <= beta1 < 1");
  beta1_ = m;
}

void Adam::update(size_t i, const Tensor& grad) {
  const Tensor& p = params_[i];
  ParamState& s = state_[i];
  if (s.buffers.empty()) {
    TensorOptions o = TensorOptions(p.dtype()).with_device(p.device());
    s.buffers = {zeros(p.shape(), o), zeros(p.shape(), o)};
    s.step = 0;
  }
  ++s.step;
  kernels::AdamArgs a{lr_, beta1_, beta2_, eps_, weight_decay_, decoupled_, s.step};
  if (fused_ && kernels::has_fused_adam(p, grad)) {
    kernels::adam_fused(p, grad, s.buffers[0], s.buffers[1], a);
  } else {
    kernels::adam_generic(p, grad, s.buffers[0], s.buffers[1], a);
  }
}

void Adam::save_hparams(StateDict& sd) const {
  sd["param_groups.betas"] = from_vector(std::vector<double>{beta1_, beta2_}, {2}, TensorOptions(DType::Float64));
  sd["param_groups.eps"] = detail::f64_scalar(eps_);
  sd["param_groups.weight_decay"] = detail::f64_scalar(weight_decay_);
  sd["param_groups.decoupled_weight_decay"] = detail::i64_scalar(decoupled_ ? 1 : 0);
}

void Adam::read_hparams(detail::StateReader& r) {
  std::vector<double> betas = r.tensor("param_groups.betas", {2}).to_vector<double>();
  double eps = r.f64("param_groups.eps"), wd = r.f64("param_groups.weight_decay");
  int64_t dec = r.i64("param_groups.decoupled_weight_decay");
  EMBER_CHECK(dec == (decoupled_ ? 1 : 0), r.who(), ": state has decoupled_weight_decay=", dec, ", i.e. it is from ",
              dec ? "AdamW" : "Adam", ", not ", name_);
  validate(0.0, betas[0], betas[1], eps, wd, r.who());
  pending_[0] = betas[0];
  pending_[1] = betas[1];
  pending_[2] = eps;
  pending_[3] = wd;
}

void Adam::commit_hparams() {
  beta1_ = pending_[0];
  beta2_ = pending_[1];
  eps_ = pending_[2];
  weight_decay_ = pending_[3];
}

}  // namespace ember::optim
