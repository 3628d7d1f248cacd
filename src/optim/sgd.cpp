// SGD: hyper-parameter checks, the per-parameter update (fused CPU loop or tensor ops) and the
// hyper-parameters' place in the state dict.
#include "ember/optim/sgd.h"

#include <cmath>

#include "optim/state_io.h"
#include "optim/update_kernels.h"

namespace ember::optim {
namespace {

void validate(const SGDOptions& o, const std::string& who) {
  using detail::check_hparam;
  check_hparam(o.lr >= 0 && std::isfinite(o.lr), who, "learning rate", o.lr, "finite and >= 0");
  check_hparam(o.momentum >= 0 && std::isfinite(o.momentum), who, "momentum", o.momentum, "finite and >= 0");
  check_hparam(std::isfinite(o.dampening), who, "dampening", o.dampening, "a finite value");
  check_hparam(o.weight_decay >= 0 && std::isfinite(o.weight_decay), who, "weight_decay", o.weight_decay,
               "finite and >= 0");
  EMBER_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), who,
              ": Nesterov momentum requires a momentum > 0 and zero dampening, got momentum ", o.momentum,
              " and dampening ", o.dampening);
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, double dampening, double weight_decay, bool nesterov)
    : SGD(std::move(params), SGDOptions(lr)
                                 .with_momentum(momentum)
                                 .with_dampening(dampening)
                                 .with_weight_decay(weight_decay)
                                 .with_nesterov(nesterov)) {}

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options, std::vector<std::string> names)
    : Optimizer("SGD", std::move(params), std::move(names), options.lr), opt_(options) {
  validate(opt_, name_);
  has_momentum_ = opt_.momentum > 0;
}

double SGD::momentum() const {
  EMBER_CHECK(has_momentum_, "SGD: constructed without momentum; there is no momentum to read");
  return opt_.momentum;
}

void SGD::set_momentum(double m) {
  EMBER_CHECK(has_momentum_, "SGD.set_momentum: constructed without momentum (momentum = 0); construct it "
              "with momentum > 0 to have it scheduled");
  SGDOptions o = opt_;
  o.momentum = m;
  o.lr = lr_;
  validate(o, "SGD.set_momentum");
  opt_.momentum = m;
}

void SGD::update(size_t i, const Tensor& grad) {
  const Tensor& p = params_[i];
  ParamState& s = state_[i];
  kernels::SGDArgs a{lr_, opt_.momentum, opt_.dampening, opt_.weight_decay, opt_.nesterov};
  bool first = false;
  if (opt_.momentum != 0 && s.buffers.empty()) {
    s.buffers.push_back(empty(p.shape(), TensorOptions(p.dtype()).with_device(p.device())));
    first = true;
  }
  Tensor buf = s.buffers.empty() ? Tensor() : s.buffers[0];
  ++s.step;
  if (fused_ && kernels::has_fused_sgd(p, grad)) {
    kernels::sgd_fused(p, grad, buf, first, a);
  } else {
    kernels::sgd_generic(p, grad, buf, first, a);
  }
}

void SGD::save_hparams(StateDict& sd) const {
  sd["param_groups.momentum"] = detail::f64_scalar(opt_.momentum);
  sd["param_groups.dampening"] = detail::f64_scalar(opt_.dampening);
  sd["param_groups.weight_decay"] = detail::f64_scalar(opt_.weight_decay);
  sd["param_groups.nesterov"] = detail::i64_scalar(opt_.nesterov ? 1 : 0);
}

void SGD::read_hparams(detail::StateReader& r) {
  SGDOptions o;
  o.momentum = r.f64("param_groups.momentum");
  o.dampening = r.f64("param_groups.dampening");
  o.weight_decay = r.f64("param_groups.weight_decay");
  int64_t n = r.i64("param_groups.nesterov");
  EMBER_CHECK(n == 0 || n == 1, r.who(), ": key 'param_groups.nesterov' must be 0 or 1, got ", n);
  o.nesterov = n == 1;
  o.lr = 0;
  validate(o, r.who());
  pending_ = o;
}

void SGD::commit_hparams() {
  opt_ = pending_;
  has_momentum_ = opt_.momentum > 0;
}

}  // namespace ember::optim
