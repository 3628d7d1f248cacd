// Adam (L2 weight decay, torch.optim.Adam) and AdamW (decoupled weight decay, torch.optim.AdamW).
#pragma once
#include <utility>

#include "ember/optim/optimizer.h"

namespace ember::optim {

/// Adam/AdamW hyper-parameters; Self is the options type the chainable setters return.
template <class Self>
struct AdamOptionsBase {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  Self& with_lr(double v) { lr = v; return self(); }
  Self& with_betas(double b1, double b2) { beta1 = b1; beta2 = b2; return self(); }
  Self& with_eps(double v) { eps = v; return self(); }
  Self& with_weight_decay(double v) { weight_decay = v; return self(); }

 private:
  Self& self() { return static_cast<Self&>(*this); }
};
struct AdamOptions : AdamOptionsBase<AdamOptions> {
  AdamOptions() = default;
  explicit AdamOptions(double lr_) { lr = lr_; }
};
/// As AdamOptions with PyTorch's AdamW default weight_decay = 1e-2.
struct AdamWOptions : AdamOptionsBase<AdamWOptions> {
  AdamWOptions() { weight_decay = 1e-2; }
  explicit AdamWOptions(double lr_) : AdamWOptions() { lr = lr_; }
};

/// Per parameter p with gradient g, step t = 1, 2, ... (PyTorch's formulas):
///   Adam:  g = g + weight_decay * p          AdamW: p = p * (1 - lr * weight_decay)
///   m = lerp(m, g, 1 - beta1)                 v = beta2 * v + (1 - beta2) * g * g
///   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// State: "state.<key>.step" (int64), "state.<key>.exp_avg", "state.<key>.exp_avg_sq".
class Adam : public Optimizer {
 public:
  /// Requires lr >= 0, eps >= 0, 0 <= beta1, beta2 < 1, weight_decay >= 0.
  explicit Adam(std::vector<Tensor> params, double lr = 1e-3, std::pair<double, double> betas = {0.9, 0.999},
                double eps = 1e-8, double weight_decay = 0.0);
  Adam(std::vector<Tensor> params, const AdamOptions& options, std::vector<std::string> names = {});

  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool decoupled_weight_decay() const { return decoupled_; }
  /// The momentum a scheduler cycles is beta1.
  bool has_momentum() const override { return true; }
  double momentum() const override { return beta1_; }
  void set_momentum(double m) override;

 protected:
  Adam(std::string name, std::vector<Tensor> params, std::vector<std::string> names, double lr, double beta1,
       double beta2, double eps, double weight_decay, bool decoupled);
  std::vector<std::string> buffer_names() const override { return {"exp_avg", "exp_avg_sq"}; }
  bool has_step() const override { return true; }
  void update(size_t i, const Tensor& grad) override;
  void save_hparams(StateDict& sd) const override;
  void read_hparams(detail::StateReader& r) override;
  void commit_hparams() override;

 private:
  double beta1_, beta2_, eps_, weight_decay_;
  bool decoupled_;
  double pending_[4] = {};  // beta1, beta2, eps, weight_decay read by read_hparams
};

class AdamW : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> params, double lr = 1e-3, std::pair<double, double> betas = {0.9, 0.999},
                 double eps = 1e-8, double weight_decay = 1e-2);
  AdamW(std::vector<Tensor> params, const AdamWOptions& options, std::vector<std::string> names = {});
};

}  // namespace ember::optim
