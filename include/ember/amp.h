// Automatic mixed precision: autocast scopes that run matmul, linear and conv2d in bfloat16 or
// float16 while everything numerically sensitive stays in float32, dynamic loss scaling for
// float16 gradients (GradScaler), and what each device can do in each low precision.
//
//   optim::AdamW opt(model->parameters(), optim::AdamWOptions(1e-3));
//   amp::GradScaler scaler;                      // float16 only; bfloat16 needs no scaling
//   Tensor loss;
//   { amp::AutocastGuard ac(kFloat16); loss = cross_entropy((*model)(x), y); }
//   opt.zero_grad();
//   scaler.scale(loss).backward();
//   scaler.step(opt);                            // skipped (and the scale halved) on inf/NaN
#pragma once
#include <cstdint>
#include <string>

#include "ember/autocast.h"  // autocast scopes and precision support (the ops layer's part)
#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/optim/optimizer.h"
#include "ember/tensor.h"

namespace ember::amp {

// ---- dynamic loss scaling -----------------------------------------------------------------

struct GradScalerOptions {
  double init_scale = 65536.0;  // > 0, finite
  double growth_factor = 2.0;   // > 1
  double backoff_factor = 0.5;  // in (0, 1)
  int64_t growth_interval = 2000;  // >= 1 clean steps between growths
  bool enabled = true;          // false: scale() is the identity and step() just steps
};

/// Dynamic loss scaling for float16 training (PyTorch's torch.amp.GradScaler): multiply the
/// loss by a large scale so small float16 gradients do not flush to zero, divide the
/// gradients by it before the update, and skip updates whose gradients overflowed.
class GradScaler {
 public:
  /// Requires valid options (see GradScalerOptions); throws ember::Error naming the bad one.
  explicit GradScaler(GradScalerOptions o = {});
  GradScaler(double init_scale, double growth_factor = 2.0, double backoff_factor = 0.5,
             int64_t growth_interval = 2000);

  /// loss * scale() in float32 (a float16/bfloat16 loss is converted first); the loss itself
  /// when disabled. Requires a defined floating loss.
  Tensor scale(const Tensor& loss) const;
  /// The current scale (1 when disabled).
  double scale() const;
  double get_scale() const { return scale(); }

  /// Divides every parameter gradient of opt by the scale and records whether any is inf or
  /// NaN. At most once between steps (a second call throws); call it before clipping
  /// gradients. step() calls it when you have not.
  void unscale_(optim::Optimizer& opt);
  /// Unscales (unless unscale_ ran), then: if any gradient is inf/NaN, skips opt.step(),
  /// multiplies the scale by backoff_factor and counts a skipped step; otherwise runs
  /// opt.step() and, after growth_interval consecutive clean steps, multiplies the scale by
  /// growth_factor. Returns whether the optimizer stepped. (update() is folded in.)
  bool step(optim::Optimizer& opt);

  /// Whether the last unscale found an inf/NaN gradient.
  bool found_inf() const { return found_inf_; }
  int64_t skipped_steps() const { return skipped_; }
  /// Clean steps since the last growth or backoff.
  int64_t growth_tracker() const { return tracker_; }
  bool enabled() const { return o_.enabled; }
  const GradScalerOptions& options() const { return o_; }

  /// "scale", "growth_factor", "backoff_factor" (0-dim float64), "growth_interval",
  /// "growth_tracker", "skipped_steps", "enabled" (0-dim int64).
  optim::StateDict state_dict() const;
  /// Restores state_dict() output. Checks every key and value first; throws ember::Error
  /// naming the offending key (missing, unexpected, not a one-element tensor, out of range)
  /// and leaves the scaler unchanged on error.
  void load_state_dict(const optim::StateDict& sd);

 private:
  GradScalerOptions o_;
  double scale_;
  int64_t tracker_ = 0, skipped_ = 0;
  bool found_inf_ = false, unscaled_ = false;
};

}  // namespace ember::amp
