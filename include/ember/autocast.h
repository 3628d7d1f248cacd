// Autocast (matmul, linear and conv2d in bfloat16 or float16 inside a scope) and what each
// device can do in each low precision: the part of automatic mixed precision that belongs to the
// ops layer. ember/amp.h includes it and adds the GradScaler (dynamic loss scaling), which
// steps an optimizer.
#pragma once
#include <string>

#include "ember/device.h"
#include "ember/dtype.h"

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

}  // namespace ember::amp
