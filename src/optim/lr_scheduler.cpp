// LRScheduler base (step counting, state dict) and the closed-form schedules StepLR,
// CosineAnnealingLR, LinearWarmup and SequentialLR.
#include "ember/optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "optim/state_io.h"

#include "core/exact_fp.h"

namespace ember::optim {

using detail::check_hparam;

LRScheduler::LRScheduler(Optimizer& opt, const char* name) : opt_(opt), name_(name) {
  if (!opt_.has_initial_lr()) opt_.set_initial_lr(opt_.lr());
  base_lr_ = opt_.initial_lr();
  last_lr_ = base_lr_;
}

void LRScheduler::initial_step() {
  last_epoch_ = 0;
  check_epoch(0);
  last_lr_ = lr_at(0);
  opt_.set_lr(last_lr_);
  if (auto m = momentum_at(0)) opt_.set_momentum(*m);
}

void LRScheduler::step() {
  check_epoch(last_epoch_ + 1);
  double lr = lr_at(last_epoch_ + 1);
  std::optional<double> m = momentum_at(last_epoch_ + 1);
  opt_.set_lr(lr);
  if (m) opt_.set_momentum(*m);
  ++last_epoch_;
  last_lr_ = lr;
}

StateDict LRScheduler::state_dict() const {
  StateDict sd;
  sd["last_epoch"] = detail::i64_scalar(last_epoch_);
  sd["base_lr"] = detail::f64_scalar(base_lr_);
  sd["last_lr"] = detail::f64_scalar(last_lr_);
  save_extra(sd);
  return sd;
}

void LRScheduler::load_state_dict(const StateDict& sd) {
  detail::StateReader r(sd, std::string(name_) + ".load_state_dict");
  int64_t epoch = r.i64("last_epoch");
  EMBER_CHECK(epoch >= 0, r.who(), ": key 'last_epoch' is negative (", epoch, ")");
  double base = r.f64("base_lr"), last = r.f64("last_lr");
  check_hparam(base >= 0 && std::isfinite(base), r.who(), "base_lr", base, "finite and >= 0");
  check_hparam(last >= 0 && std::isfinite(last), r.who(), "last_lr", last, "finite and >= 0");
  read_extra(r);
  r.finish();
  apply_extra();
  last_epoch_ = epoch;
  base_lr_ = base;
  last_lr_ = last;
}

// ---- StepLR -------------------------------------------------------------------------------

StepLR::StepLR(Optimizer& opt, int64_t step_size, double gamma)
    : LRScheduler(opt, "StepLR"), step_size_(step_size), gamma_(gamma) {
  EMBER_CHECK(step_size > 0, "StepLR: step_size must be > 0, got ", step_size);
  check_hparam(gamma >= 0 && std::isfinite(gamma), "StepLR", "gamma", gamma, "finite and >= 0");
  initial_step();
}

double StepLR::lr_at(int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

void StepLR::save_extra(StateDict& sd) const {
  sd["step_size"] = detail::i64_scalar(step_size_);
  sd["gamma"] = detail::f64_scalar(gamma_);
}
void StepLR::read_extra(detail::StateReader& r) {
  p_step_size_ = r.i64("step_size");
  p_gamma_ = r.f64("gamma");
  EMBER_CHECK(p_step_size_ > 0, r.who(), ": step_size must be > 0, got ", p_step_size_);
  check_hparam(p_gamma_ >= 0 && std::isfinite(p_gamma_), r.who(), "gamma", p_gamma_, "finite and >= 0");
}
void StepLR::apply_extra() {
  step_size_ = p_step_size_;
  gamma_ = p_gamma_;
}

// ---- CosineAnnealingLR --------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& opt, int64_t T_max, double eta_min)
    : LRScheduler(opt, "CosineAnnealingLR"), t_max_(T_max), eta_min_(eta_min) {
  EMBER_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be > 0, got ", T_max);
  check_hparam(eta_min >= 0 && std::isfinite(eta_min), "CosineAnnealingLR", "eta_min", eta_min, "finite and >= 0");
  initial_step();
}

double CosineAnnealingLR::lr_at(int64_t epoch) const {
  double c = std::cos(std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(t_max_));
  return eta_min_ + (base_lr_ - eta_min_) * (1 + c) / 2;
}

void CosineAnnealingLR::save_extra(StateDict& sd) const {
  sd["T_max"] = detail::i64_scalar(t_max_);
  sd["eta_min"] = detail::f64_scalar(eta_min_);
}
void CosineAnnealingLR::read_extra(detail::StateReader& r) {
  p_t_max_ = r.i64("T_max");
  p_eta_min_ = r.f64("eta_min");
  EMBER_CHECK(p_t_max_ > 0, r.who(), ": T_max must be > 0, got ", p_t_max_);
  check_hparam(p_eta_min_ >= 0 && std::isfinite(p_eta_min_), r.who(), "eta_min", p_eta_min_, "finite and >= 0");
}
void CosineAnnealingLR::apply_extra() {
  t_max_ = p_t_max_;
  eta_min_ = p_eta_min_;
}

// ---- LinearWarmup -------------------------------------------------------------------------

LinearWarmup::LinearWarmup(Optimizer& opt, int64_t warmup_steps, double start_factor)
    : LRScheduler(opt, "LinearWarmup"), warmup_(warmup_steps), start_factor_(start_factor) {
  EMBER_CHECK(warmup_steps > 0, "LinearWarmup: warmup_steps must be > 0, got ", warmup_steps);
  check_hparam(start_factor >= 0 && start_factor <= 1, "LinearWarmup", "start_factor", start_factor,
               "0 <= start_factor <= 1");
  initial_step();
}

double LinearWarmup::lr_at(int64_t epoch) const {
  double frac = static_cast<double>(std::min(epoch, warmup_)) / static_cast<double>(warmup_);
  return base_lr_ * (start_factor_ + (1.0 - start_factor_) * frac);
}

void LinearWarmup::save_extra(StateDict& sd) const {
  sd["warmup_steps"] = detail::i64_scalar(warmup_);
  sd["start_factor"] = detail::f64_scalar(start_factor_);
}
void LinearWarmup::read_extra(detail::StateReader& r) {
  p_warmup_ = r.i64("warmup_steps");
  p_start_factor_ = r.f64("start_factor");
  EMBER_CHECK(p_warmup_ > 0, r.who(), ": warmup_steps must be > 0, got ", p_warmup_);
  check_hparam(p_start_factor_ >= 0 && p_start_factor_ <= 1, r.who(), "start_factor", p_start_factor_,
               "0 <= start_factor <= 1");
}
void LinearWarmup::apply_extra() {
  warmup_ = p_warmup_;
  start_factor_ = p_start_factor_;
}

// ---- SequentialLR -------------------------------------------------------------------------

SequentialLR::SequentialLR(Optimizer& opt, std::vector<std::shared_ptr<LRScheduler>> schedules,
                           std::vector<int64_t> milestones)
    : LRScheduler(opt, "SequentialLR"), schedules_(std::move(schedules)), milestones_(std::move(milestones)) {
  EMBER_CHECK(!schedules_.empty(), "SequentialLR: needs at least one schedule");
  for (size_t i = 0; i < schedules_.size(); ++i) {
    EMBER_CHECK(schedules_[i] != nullptr, "SequentialLR: schedule ", i, " is null");
    EMBER_CHECK(&schedules_[i]->optimizer() == &opt, "SequentialLR: schedule ", i,
                " is attached to a different optimizer");
  }
  EMBER_CHECK(milestones_.size() + 1 == schedules_.size(), "SequentialLR: ", schedules_.size(),
              " schedules need ", schedules_.size() - 1, " milestones, got ", milestones_.size());
  for (size_t i = 0; i < milestones_.size(); ++i)
    EMBER_CHECK(milestones_[i] > (i == 0 ? 0 : milestones_[i - 1]), "SequentialLR: milestones must be positive and "
                "strictly increasing, got ", milestones_[i], " at position ", i);
  initial_step();
}

std::pair<const LRScheduler*, int64_t> SequentialLR::active(int64_t epoch) const {
  size_t i = static_cast<size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin());
  return {schedules_[i].get(), i == 0 ? epoch : epoch - milestones_[i - 1]};
}

double SequentialLR::lr_at(int64_t epoch) const {
  auto [s, e] = active(epoch);
  return s->lr_at(e);
}
std::optional<double> SequentialLR::momentum_at(int64_t epoch) const {
  auto [s, e] = active(epoch);
  return s->momentum_at(e);
}
void SequentialLR::check_epoch(int64_t epoch) const {
  auto [s, e] = active(epoch);
  s->check_epoch(e);
}

void SequentialLR::save_extra(StateDict& sd) const {
  for (size_t i = 0; i < schedules_.size(); ++i)
    for (auto& [k, v] : schedules_[i]->state_dict()) sd["schedulers." + std::to_string(i) + "." + k] = v;
}

void SequentialLR::read_extra(detail::StateReader& r) {
  parts_.clear();
  for (size_t i = 0; i < schedules_.size(); ++i) {
    parts_.push_back(r.sub("schedulers." + std::to_string(i) + "."));
    EMBER_CHECK(!parts_.back().empty(), r.who(), ": missing keys 'schedulers.", i, ".*'");
  }
}

void SequentialLR::apply_extra() {
  // Children validate their own parts; if one throws, the ones already loaded are rolled back.
  std::vector<StateDict> old;
  for (const auto& s : schedules_) old.push_back(s->state_dict());
  size_t i = 0;
  try {
    for (; i < schedules_.size(); ++i) schedules_[i]->load_state_dict(parts_[i]);
  } catch (...) {
    for (size_t j = 0; j < i; ++j) schedules_[j]->load_state_dict(old[j]);
    parts_.clear();
    throw;
  }
  parts_.clear();
}

}  // namespace ember::optim
