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

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/optim/optimizer.h"
#include "ember/tensor.h"

namespace ember::amp {

// ---- autocast -----------------------------------------------------------------------------

/// Whether autocast is on in this thread, and its low dtype (bfloat16 or float16; meaningless
/// when off).
bool autocast_enabled();
DType autocast_dtype();

/// RAII scope, thread-local and nestable (the previous state comes back on exit), after
/// PyTorch's torch.autocast. Inside it:
///  - matmul, linear and conv2d cast their float32/float16/bfloat16 operands (weights and bias
///    included) to `dtype`, compute there (accumulating in float32) and return `dtype`;
///  - softmax, log_softmax, cross_entropy, nll_loss, mse_loss,
///    binary_cross_entropy_with_logits, batch_norm and layer_norm cast float16/bfloat16 inputs
///    to float32 and return float32;
///  - every other op runs in its inputs' dtype, promoting mixed operands as usual
///    (bfloat16 + float32 -> float32).
/// float64 operands are never cast. The casts are differentiable, so float32 parameters get
/// float32 gradients: keep the optimizer outside low precision (it is: it reads .grad).
/// Requires dtype bfloat16 or float16. enabled=false turns autocast off inside the scope.
class AutocastGuard {
 public:
  explicit AutocastGuard(DType dtype = kBFloat16, bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool prev_enabled_;
  DType prev_dtype_;
};

// ---- what a device can do -----------------------------------------------------------------

enum class PrecisionSupport {
  Native,       // hardware instructions (CPU: AMX or AVX512-BF16 through oneDNN)
  Emulated,     // fast kernels that convert on the fly (CPU: oneDNN bf16 on plain AVX-512)
  Reference,    // ember's reference loops: correct (compute in float32), but slower than float32
  Unsupported,  // refused: running it would only be a slow fallback of a speed feature
};
const char* precision_support_name(PrecisionSupport s);  // "native", "emulated", ...

struct PrecisionInfo {
  PrecisionSupport support = PrecisionSupport::Reference;
  std::string detail;  // the device's own words, e.g. "native (AMX tiles via oneDNN)"
};

/// How device d runs matmul/conv in dtype t (float16 or bfloat16), from its backend's
/// DeviceInfo properties "bf16" / "fp16". On the CPU: bf16 is native with AMX or AVX512-BF16,
/// emulated by oneDNN on other AVX-512 cores and runs on ember's reference loops without
/// AVX-512; fp16 runs on the reference loops where oneDNN has no f16 kernels (oneDNN 2.x on x86).
/// Requires an available device and a low dtype.
PrecisionInfo precision_support(const Device& d, DType t);

/// Throws ember::Error (naming the device and what it lacks) when precision_support(d, t) is
/// Unsupported; returns the info otherwise. float32 always passes.
PrecisionInfo require_precision(const Device& d, DType t);

/// Parses a CLI precision name: "fp32"/"float32" -> float32, "bf16"/"bfloat16" -> bfloat16,
/// "fp16"/"float16" -> float16. Throws ember::Error for anything else.
DType parse_precision(const std::string& name);
/// "fp32", "bf16" or "fp16". Requires one of those three dtypes.
const char* precision_name(DType t);

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
