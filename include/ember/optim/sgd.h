// SGD with momentum, dampening, Nesterov momentum and L2 weight decay (torch.optim.SGD).
#pragma once
#include "ember/optim/optimizer.h"

namespace ember::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  SGDOptions() = default;
  explicit SGDOptions(double lr_) : lr(lr_) {}
  SGDOptions& with_lr(double v) { lr = v; return *this; }
  SGDOptions& with_momentum(double v) { momentum = v; return *this; }
  SGDOptions& with_dampening(double v) { dampening = v; return *this; }
  SGDOptions& with_weight_decay(double v) { weight_decay = v; return *this; }
  SGDOptions& with_nesterov(bool v = true) { nesterov = v; return *this; }
};

/// Per parameter p with gradient g (PyTorch's formulas):
///   d = g + weight_decay * p
///   buf = d on the first step, else momentum * buf + (1 - dampening) * d   (momentum != 0)
///   d = nesterov ? d + momentum * buf : buf                                (momentum != 0)
///   p = p - lr * d
/// State: "state.<key>.momentum_buffer" (momentum != 0 only).
class SGD : public Optimizer {
 public:
  /// Requires lr >= 0, momentum >= 0, weight_decay >= 0, and for nesterov momentum > 0 and
  /// dampening == 0 (ember::Error otherwise).
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.0, double dampening = 0.0,
      double weight_decay = 0.0, bool nesterov = false);
  SGD(std::vector<Tensor> params, const SGDOptions& options, std::vector<std::string> names = {});

  const SGDOptions& options() const { return opt_; }
  bool has_momentum() const override { return has_momentum_; }
  double momentum() const override;
  void set_momentum(double m) override;

 protected:
  std::vector<std::string> buffer_names() const override { return {"momentum_buffer"}; }
  void update(size_t i, const Tensor& grad) override;
  void save_hparams(StateDict& sd) const override;
  void read_hparams(detail::StateReader& r) override;
  void commit_hparams() override;

 private:
  SGDOptions opt_;      // opt_.lr unused: the base's lr_ is the live value
  SGDOptions pending_;  // read by read_hparams, applied by commit_hparams
  bool has_momentum_;
};

}  // namespace ember::optim
