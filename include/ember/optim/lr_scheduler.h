// Learning-rate schedules (torch.optim.lr_scheduler): a base class over an Optimizer and the
// closed-form schedules StepLR, CosineAnnealingLR, LinearWarmup and SequentialLR (which
// chains schedules at milestones, e.g. warm-up then cosine). OneCycleLR is in one_cycle.h.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember::optim {

/// A schedule sets the optimizer's lr (and for OneCycleLR its momentum) from a step count.
/// Construction applies the value for step 0; each step() advances the count by one, once per
/// optimizer step or once per epoch as the caller chooses. The base lr is the optimizer's
/// initial_lr() (recorded on the optimizer by the first schedule attached to it).
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances one step and writes the new lr (and momentum) into the optimizer.
  void step();
  /// The lr the last step (or construction) set.
  double lr() const { return last_lr_; }
  /// Steps taken since construction (PyTorch's last_epoch).
  int64_t last_epoch() const { return last_epoch_; }
  double base_lr() const { return base_lr_; }
  Optimizer& optimizer() const { return opt_; }

  /// The lr after `epoch` steps, from the closed form (no side effects). Requires epoch >= 0.
  virtual double lr_at(int64_t epoch) const = 0;
  /// The momentum after `epoch` steps for schedules that cycle it (OneCycleLR), else none.
  virtual std::optional<double> momentum_at(int64_t epoch) const { return std::nullopt; }
  /// Throws ember::Error if the schedule is not defined at `epoch` (OneCycleLR past its end).
  virtual void check_epoch(int64_t epoch) const {}

  /// "last_epoch" (int64), "base_lr", "last_lr" and the schedule's own hyper-parameters, all
  /// 0-dim tensors.
  StateDict state_dict() const;
  /// Restores state_dict() output (validated first; unchanged on error). Does not touch the
  /// optimizer, whose own state_dict carries its lr.
  void load_state_dict(const StateDict& sd);

 protected:
  LRScheduler(Optimizer& opt, const char* name);
  /// Derived constructors call this last: step 0's values go into the optimizer.
  void initial_step();
  virtual void save_extra(StateDict& sd) const {}
  /// Reads and validates; then apply_extra() commits. Used by load_state_dict.
  virtual void read_extra(detail::StateReader& r) {}
  virtual void apply_extra() {}

  Optimizer& opt_;
  const char* name_;
  double base_lr_;
  int64_t last_epoch_ = 0;
  double last_lr_;
};

/// lr = base_lr * gamma^(epoch / step_size) (integer division). Requires step_size > 0, gamma >= 0.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t epoch) const override;

 protected:
  void save_extra(StateDict& sd) const override;
  void read_extra(detail::StateReader& r) override;
  void apply_extra() override;

 private:
  int64_t step_size_;
  double gamma_;
  int64_t p_step_size_ = 0;
  double p_gamma_ = 0;
};

/// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2. Requires T_max > 0.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& opt, int64_t T_max, double eta_min = 0.0);
  double lr_at(int64_t epoch) const override;

 protected:
  void save_extra(StateDict& sd) const override;
  void read_extra(detail::StateReader& r) override;
  void apply_extra() override;

 private:
  int64_t t_max_;
  double eta_min_;
  int64_t p_t_max_ = 0;
  double p_eta_min_ = 0;
};

/// Linear warm-up (PyTorch's LinearLR with end_factor 1):
/// lr = base_lr * (start_factor + (1 - start_factor) * min(epoch, warmup_steps) / warmup_steps).
/// Requires warmup_steps > 0 and 0 <= start_factor <= 1.
class LinearWarmup : public LRScheduler {
 public:
  LinearWarmup(Optimizer& opt, int64_t warmup_steps, double start_factor);
  double lr_at(int64_t epoch) const override;

 protected:
  void save_extra(StateDict& sd) const override;
  void read_extra(detail::StateReader& r) override;
  void apply_extra() override;

 private:
  int64_t warmup_;
  double start_factor_;
  int64_t p_warmup_ = 0;
  double p_start_factor_ = 0;
};

/// Runs schedules one after another (torch SequentialLR): schedule i is active from
/// milestones[i-1] on and sees the step count relative to that milestone. Requires at least
/// one schedule, all on this optimizer, and milestones.size() == schedules.size() - 1,
/// strictly increasing and positive. Example: warm-up for 100 steps, then cosine:
///   auto w = std::make_shared<LinearWarmup>(opt, 100, 0.01);
///   auto c = std::make_shared<CosineAnnealingLR>(opt, 900);
///   SequentialLR sched(opt, {w, c}, {100});
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& opt, std::vector<std::shared_ptr<LRScheduler>> schedules, std::vector<int64_t> milestones);
  double lr_at(int64_t epoch) const override;
  std::optional<double> momentum_at(int64_t epoch) const override;
  void check_epoch(int64_t epoch) const override;

 protected:
  /// Children's states go under "schedulers.<i>.".
  void save_extra(StateDict& sd) const override;
  void read_extra(detail::StateReader& r) override;
  void apply_extra() override;

 private:
  /// The active schedule at epoch and the epoch relative to its start.
  std::pair<const LRScheduler*, int64_t> active(int64_t epoch) const;
  std::vector<std::shared_ptr<LRScheduler>> schedules_;
  std::vector<int64_t> milestones_;
  std::vector<StateDict> parts_;  // children's states between read_extra and apply_extra
};

}  // namespace ember::optim
