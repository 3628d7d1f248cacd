// GradScaler (see ember/amp.h): dynamic loss scaling for float16 training. The inf/NaN check
// runs with tensor ops (one host read per step), so it works on every backend.
#include <cmath>
#include <limits>

#include "ember/amp.h"
#include "ember/autograd.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"

namespace ember::amp {
namespace {

void check_options(const GradScalerOptions& o, const char* who) {
  EMBER_CHECK(std::isfinite(o.init_scale) && o.init_scale > 0, who, ": scale must be finite and > 0, got ",
              o.init_scale);
  EMBER_CHECK(std::isfinite(o.growth_factor) && o.growth_factor > 1, who, ": growth_factor must be > 1, got ",
              o.growth_factor);
  EMBER_CHECK(o.backoff_factor > 0 && o.backoff_factor < 1, who, ": backoff_factor must be in (0, 1), got ",
              o.backoff_factor);
  EMBER_CHECK(o.growth_interval >= 1, who, ": growth_interval must be >= 1, got ", o.growth_interval);
}

constexpr double kMaxScale = std::numeric_limits<float>::max();  // the scale stays a finite float32

}  // namespace

GradScaler::GradScaler(GradScalerOptions o) : o_(o), scale_(o.init_scale) { check_options(o_, "GradScaler"); }

GradScaler::GradScaler(double init_scale, double growth_factor, double backoff_factor, int64_t growth_interval)
    : GradScaler(GradScalerOptions{init_scale, growth_factor, backoff_factor, growth_interval, true}) {}

double GradScaler::scale() const { return o_.enabled ? scale_ : 1.0; }

Tensor GradScaler::scale(const Tensor& loss) const {
  EMBER_CHECK(loss.defined(), "GradScaler::scale: the loss is undefined");
  EMBER_CHECK(is_floating(loss.dtype()), "GradScaler::scale: the loss must be floating, got ", dtype_name(loss.dtype()));
  if (!o_.enabled) return loss;
  Tensor l = loss.dtype() == kFloat16 || loss.dtype() == kBFloat16 ? loss.to(kFloat32) : loss;
  return mul(l, scale_);
}

void GradScaler::unscale_(optim::Optimizer& opt) {
  if (!o_.enabled) return;
  EMBER_CHECK(!unscaled_, "GradScaler::unscale_: already called since the last step() (call it once per step)");
  NoGradGuard ng;
  const double inv = 1.0 / scale_;
  Tensor all_finite;  // bool, one element
  for (const Tensor& p : opt.params()) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    Tensor gu = mul(g, inv);
    Tensor ok = all(isfinite(gu));
    all_finite = all_finite.defined() ? logical_and(all_finite, ok) : ok;
    Tensor(p).set_grad(gu);  // a handle to the same parameter
  }
  found_inf_ = all_finite.defined() && !all_finite.item<bool>();
  unscaled_ = true;
}

bool GradScaler::step(optim::Optimizer& opt) {
  if (!o_.enabled) {
    opt.step();
    return true;
  }
  if (!unscaled_) unscale_(opt);
  unscaled_ = false;
  if (found_inf_) {
    scale_ *= o_.backoff_factor;
    tracker_ = 0;
    ++skipped_;
    return false;
  }
  opt.step();
  if (++tracker_ >= o_.growth_interval) {
    scale_ = std::min(scale_ * o_.growth_factor, kMaxScale);
    tracker_ = 0;
  }
  return true;
}

optim::StateDict GradScaler::state_dict() const {
  auto f64 = [](double v) { return scalar_tensor(v, TensorOptions(kFloat64)); };
  auto i64 = [](int64_t v) { return scalar_tensor(static_cast<double>(v), TensorOptions(kInt64)); };
  return {{"scale", f64(scale_)},
          {"growth_factor", f64(o_.growth_factor)},
          {"backoff_factor", f64(o_.backoff_factor)},
          {"growth_interval", i64(o_.growth_interval)},
          {"growth_tracker", i64(tracker_)},
          {"skipped_steps", i64(skipped_)},
          {"enabled", i64(o_.enabled ? 1 : 0)}};
}

void GradScaler::load_state_dict(const optim::StateDict& sd) {
  const char* keys[] = {"scale", "growth_factor", "backoff_factor", "growth_interval", "growth_tracker",
                        "skipped_steps", "enabled"};
  for (const auto& [k, v] : sd) {
    bool known = false;
    for (const char* want : keys) known = known || k == want;
    EMBER_CHECK(known, "GradScaler::load_state_dict: unexpected key '", k, "'");
  }
  auto get = [&](const char* k) {
    auto it = sd.find(k);
    EMBER_CHECK(it != sd.end(), "GradScaler::load_state_dict: missing key '", k, "'");
    EMBER_CHECK(it->second.defined() && it->second.numel() == 1, "GradScaler::load_state_dict: '", k,
                "' must be a one-element tensor, got ", it->second.defined() ? shape_str(it->second.shape()) : "undefined");
    return it->second.item<double>();
  };
  GradScalerOptions o;
  o.init_scale = get("scale");
  o.growth_factor = get("growth_factor");
  o.backoff_factor = get("backoff_factor");
  o.growth_interval = static_cast<int64_t>(get("growth_interval"));
  const double tracker = get("growth_tracker"), skipped = get("skipped_steps"), enabled = get("enabled");
  check_options(o, "GradScaler::load_state_dict");
  EMBER_CHECK(tracker >= 0 && tracker < static_cast<double>(o.growth_interval),
              "GradScaler::load_state_dict: 'growth_tracker' must be in [0, growth_interval), got ", tracker);
  EMBER_CHECK(skipped >= 0, "GradScaler::load_state_dict: 'skipped_steps' must be >= 0, got ", skipped);
  EMBER_CHECK(enabled == 0 || enabled == 1, "GradScaler::load_state_dict: 'enabled' must be 0 or 1, got ", enabled);
  o.enabled = enabled == 1;
  scale_ = o.init_scale;
  o.init_scale = o_.init_scale;  // the options keep the constructor's initial scale
  o_ = o;
  tracker_ = static_cast<int64_t>(tracker);
  skipped_ = static_cast<int64_t>(skipped);
  found_inf_ = false;
  unscaled_ = false;
}

}  // namespace ember::amp
