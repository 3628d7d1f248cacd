// OneCycleLR: PyTorch's phase table, cosine/linear annealing of lr and momentum, the
// past-the-end check and the schedule's hyper-parameters in the state dict.
#include "ember/optim/one_cycle.h"

#include <cmath>
#include <numbers>

#include "optim/state_io.h"

#include "core/exact_fp.h"

namespace ember::optim {

using detail::check_hparam;

namespace {

void validate(double max_lr, int64_t total, const OneCycleOptions& o, const std::string& who) {
  EMBER_CHECK(total > 0, who, ": total_steps must be > 0, got ", total);
  check_hparam(max_lr >= 0 && std::isfinite(max_lr), who, "max_lr", max_lr, "finite and >= 0");
  check_hparam(o.pct_start >= 0 && o.pct_start <= 1, who, "pct_start", o.pct_start, "0 <= pct_start <= 1");
  check_hparam(o.div_factor > 0 && std::isfinite(o.div_factor), who, "div_factor", o.div_factor, "finite and > 0");
  check_hparam(o.final_div_factor > 0 && std::isfinite(o.final_div_factor), who, "final_div_factor",
               o.final_div_factor, "finite and > 0");
  check_hparam(o.base_momentum >= 0 && std::isfinite(o.base_momentum), who, "base_momentum", o.base_momentum,
               "finite and >= 0");
  check_hparam(o.max_momentum >= 0 && std::isfinite(o.max_momentum), who, "max_momentum", o.max_momentum,
               "finite and >= 0");
}

}  // namespace

std::vector<OneCycleLR::Phase> OneCycleLR::make_phases(double max_lr, int64_t total, const OneCycleOptions& o) {
  const double init = max_lr / o.div_factor, min_lr = init / o.final_div_factor;
  const double T = static_cast<double>(total), up = o.pct_start * T - 1;
  const double bm = o.base_momentum, mm = o.max_momentum;
  if (o.three_phase)
    return {{up, init, max_lr, mm, bm}, {2 * o.pct_start * T - 2, max_lr, init, bm, mm}, {T - 1, init, min_lr, mm, mm}};
  return {{up, init, max_lr, mm, bm}, {T - 1, max_lr, min_lr, bm, mm}};
}

OneCycleLR::OneCycleLR(Optimizer& opt, double max_lr, int64_t total_steps, OneCycleOptions options)
    : LRScheduler(opt, "OneCycleLR"), max_lr_(max_lr), total_(total_steps), o_(options) {
  validate(max_lr, total_steps, o_, "OneCycleLR");
  EMBER_CHECK(!o_.cycle_momentum || opt.has_momentum(), "OneCycleLR: cycle_momentum needs an optimizer with momentum "
              "(Adam, AdamW, or SGD constructed with momentum > 0); ", opt.name(),
              " has none. Pass OneCycleOptions().with_cycle_momentum(false)");
  phases_ = make_phases(max_lr, total_steps, o_);
  // A step landing in a phase of zero length would divide by zero (PyTorch raises there too).
  EMBER_CHECK(phases_.front().end_step != 0.0, "OneCycleLR: pct_start * total_steps = ", o_.pct_start * total_steps,
              " makes the warm-up phase zero steps long; change pct_start or total_steps");
  EMBER_CHECK(phases_.back().end_step != phases_[phases_.size() - 2].end_step, "OneCycleLR: pct_start = ",
              o_.pct_start, " leaves the last phase zero steps long; use a smaller pct_start");
  base_lr_ = max_lr / o_.div_factor;
  opt.set_initial_lr(base_lr_);
  initial_step();
}

std::pair<const OneCycleLR::Phase*, double> OneCycleLR::locate(int64_t epoch) const {
  const double step = static_cast<double>(epoch);
  double start = 0.0;
  for (size_t i = 0; i < phases_.size(); ++i) {
    const Phase& ph = phases_[i];
    if (step <= ph.end_step || i + 1 == phases_.size()) return {&ph, (step - start) / (ph.end_step - start)};
    start = ph.end_step;
  }
  return {&phases_.back(), 1.0};  // not reached
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (o_.anneal == AnnealStrategy::Linear) return (end - start) * pct + start;
  double cos_out = std::cos(std::numbers::pi * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}

void OneCycleLR::check_epoch(int64_t epoch) const {
  EMBER_CHECK(epoch <= total_, "OneCycleLR: tried to step ", epoch, " times; the specified number of total steps is ",
              total_);
}

double OneCycleLR::lr_at(int64_t epoch) const {
  auto [ph, pct] = locate(epoch);
  return anneal(ph->start_lr, ph->end_lr, pct);
}

std::optional<double> OneCycleLR::momentum_at(int64_t epoch) const {
  if (!o_.cycle_momentum) return std::nullopt;
  auto [ph, pct] = locate(epoch);
  return anneal(ph->start_m, ph->end_m, pct);
}

void OneCycleLR::save_extra(StateDict& sd) const {
  sd["max_lr"] = detail::f64_scalar(max_lr_);
  sd["total_steps"] = detail::i64_scalar(total_);
  sd["pct_start"] = detail::f64_scalar(o_.pct_start);
  sd["anneal_linear"] = detail::i64_scalar(o_.anneal == AnnealStrategy::Linear ? 1 : 0);
  sd["cycle_momentum"] = detail::i64_scalar(o_.cycle_momentum ? 1 : 0);
  sd["base_momentum"] = detail::f64_scalar(o_.base_momentum);
  sd["max_momentum"] = detail::f64_scalar(o_.max_momentum);
  sd["div_factor"] = detail::f64_scalar(o_.div_factor);
  sd["final_div_factor"] = detail::f64_scalar(o_.final_div_factor);
  sd["three_phase"] = detail::i64_scalar(o_.three_phase ? 1 : 0);
}

void OneCycleLR::read_extra(detail::StateReader& r) {
  auto flag = [&r](const char* key) {
    int64_t v = r.i64(key);
    EMBER_CHECK(v == 0 || v == 1, r.who(), ": key '", key, "' must be 0 or 1, got ", v);
    return v == 1;
  };
  p_max_lr_ = r.f64("max_lr");
  p_total_ = r.i64("total_steps");
  p_o_.pct_start = r.f64("pct_start");
  p_o_.anneal = flag("anneal_linear") ? AnnealStrategy::Linear : AnnealStrategy::Cos;
  p_o_.cycle_momentum = flag("cycle_momentum");
  p_o_.base_momentum = r.f64("base_momentum");
  p_o_.max_momentum = r.f64("max_momentum");
  p_o_.div_factor = r.f64("div_factor");
  p_o_.final_div_factor = r.f64("final_div_factor");
  p_o_.three_phase = flag("three_phase");
  validate(p_max_lr_, p_total_, p_o_, r.who());
  EMBER_CHECK(!p_o_.cycle_momentum || opt_.has_momentum(), r.who(), ": state cycles momentum but ", opt_.name(),
              " has none");
}

void OneCycleLR::apply_extra() {
  max_lr_ = p_max_lr_;
  total_ = p_total_;
  o_ = p_o_;
  phases_ = make_phases(max_lr_, total_, o_);
}

}  // namespace ember::optim
