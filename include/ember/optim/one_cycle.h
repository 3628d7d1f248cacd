// OneCycleLR (torch.optim.lr_scheduler.OneCycleLR): lr rises from max_lr/div_factor to max_lr
// over pct_start of the steps, then anneals to initial_lr/final_div_factor, while the momentum
// (SGD momentum or Adam beta1) cycles the opposite way between max_momentum and base_momentum.
#pragma once
#include "ember/optim/lr_scheduler.h"

namespace ember::optim {

enum class AnnealStrategy { Cos, Linear };

struct OneCycleOptions {
  double pct_start = 0.3;
  AnnealStrategy anneal = AnnealStrategy::Cos;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
  OneCycleOptions& with_pct_start(double v) { pct_start = v; return *this; }
  OneCycleOptions& with_anneal(AnnealStrategy v) { anneal = v; return *this; }
  OneCycleOptions& with_cycle_momentum(bool v) { cycle_momentum = v; return *this; }
  OneCycleOptions& with_momentum_range(double base, double max) { base_momentum = base; max_momentum = max; return *this; }
  OneCycleOptions& with_div_factor(double v) { div_factor = v; return *this; }
  OneCycleOptions& with_final_div_factor(double v) { final_div_factor = v; return *this; }
  OneCycleOptions& with_three_phase(bool v = true) { three_phase = v; return *this; }
};

/// Phases, as PyTorch (initial = max_lr / div_factor, min = initial / final_div_factor):
///   two-phase:   [0, pct*T - 1] initial -> max;  [.., T - 1] max -> min
///   three-phase: [0, pct*T - 1] initial -> max;  [.., 2*pct*T - 2] max -> initial;  [.., T - 1] initial -> min
/// Momentum goes max -> base -> max (three-phase: max -> base -> max -> max).
/// step() may be called total_steps times; one more throws ember::Error (as PyTorch).
/// Requires total_steps > 0, 0 <= pct_start <= 1 with every phase at least one step long,
/// max_lr >= 0, div factors > 0, 0 <= base_momentum <= max_momentum < 1 (see the optimizer's
/// limits), and with cycle_momentum an optimizer that has_momentum() (Adam, AdamW, SGD with
/// momentum > 0; PyTorch would silently switch plain SGD's momentum on).
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& opt, double max_lr, int64_t total_steps, OneCycleOptions options = {});
  double lr_at(int64_t epoch) const override;
  std::optional<double> momentum_at(int64_t epoch) const override;
  void check_epoch(int64_t epoch) const override;
  const OneCycleOptions& options() const { return o_; }
  int64_t total_steps() const { return total_; }

 protected:
  void save_extra(StateDict& sd) const override;
  void read_extra(detail::StateReader& r) override;
  void apply_extra() override;

 private:
  struct Phase {
    double end_step, start_lr, end_lr, start_m, end_m;
  };
  /// The phase holding epoch and the fraction of it done.
  std::pair<const Phase*, double> locate(int64_t epoch) const;
  double anneal(double start, double end, double pct) const;
  static std::vector<Phase> make_phases(double max_lr, int64_t total, const OneCycleOptions& o);

  double max_lr_;
  int64_t total_;
  OneCycleOptions o_;
  std::vector<Phase> phases_;
  double p_max_lr_ = 0;
  int64_t p_total_ = 0;
  OneCycleOptions p_o_;
};

}  // namespace ember::optim
