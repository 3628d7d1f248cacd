// Autocast state (thread-local), the cast hooks ops call (ops/autocast.h), and the per-device
// low-precision support query behind `ember train/bench --precision`.
#include "ember/autocast.h"

#include "core/backend.h"
#include "ops/autocast.h"

namespace ember::amp {
namespace {

struct AutocastState {
  bool enabled = false;
  DType dtype = kBFloat16;
};
thread_local AutocastState state;

bool is_low(DType t) { return t == kBFloat16 || t == kFloat16; }

}  // namespace

bool autocast_enabled() { return state.enabled; }
DType autocast_dtype() { return state.dtype; }

AutocastGuard::AutocastGuard(DType dtype, bool enabled) : prev_enabled_(state.enabled), prev_dtype_(state.dtype) {
  EMBER_CHECK(is_low(dtype), "AutocastGuard: dtype must be bfloat16 or float16, got ", dtype_name(dtype));
  state.enabled = enabled;
  if (enabled) state.dtype = dtype;
}

AutocastGuard::~AutocastGuard() {
  state.enabled = prev_enabled_;
  state.dtype = prev_dtype_;
}

namespace detail {
namespace {

/// ts with every tensor for which want(dtype) holds converted to `to`; nullopt if none.
template <class Pred>
std::optional<std::vector<Tensor>> cast_where(std::initializer_list<Tensor> ts, DType to, Pred want) {
  bool any = false;
  for (const Tensor& t : ts) any = any || (t.defined() && t.dtype() != to && want(t.dtype()));
  if (!any) return std::nullopt;
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(t.defined() && t.dtype() != to && want(t.dtype()) ? t.to(to) : t);
  return out;
}

}  // namespace

std::optional<std::vector<Tensor>> autocast_lower(std::initializer_list<Tensor> ts) {
  if (!state.enabled) return std::nullopt;
  return cast_where(ts, state.dtype, [](DType t) { return t == kFloat32 || is_low(t); });
}

std::optional<std::vector<Tensor>> autocast_fp32(std::initializer_list<Tensor> ts) {
  if (!state.enabled) return std::nullopt;
  return cast_where(ts, kFloat32, is_low);
}

}  // namespace detail

// ---- device support -----------------------------------------------------------------------

const char* precision_support_name(PrecisionSupport s) {
  switch (s) {
    case PrecisionSupport::Native: return "native";
    case PrecisionSupport::Emulated: return "emulated";
    case PrecisionSupport::Reference: return "reference";
    case PrecisionSupport::Unsupported: return "unsupported";
  }
  return "unknown";
}

PrecisionInfo precision_support(const Device& d, DType t) {
  EMBER_CHECK(is_low(t), "precision_support: dtype must be bfloat16 or float16, got ", dtype_name(t));
  const char* key = t == kBFloat16 ? "bf16" : "fp16";
  DeviceInfo info = get_backend(d).info();
  for (const auto& [k, v] : info.properties) {
    if (k != key) continue;
    for (PrecisionSupport s : {PrecisionSupport::Native, PrecisionSupport::Emulated, PrecisionSupport::Reference,
                               PrecisionSupport::Unsupported})
      if (v.rfind(precision_support_name(s), 0) == 0) return {s, v};
    return {PrecisionSupport::Reference, v};
  }
  // A backend that does not say: its generic kernels compute it, as the reference loops do.
  return {PrecisionSupport::Reference, "reference (device " + d.str() + " does not report " + key + " support)"};
}

PrecisionInfo require_precision(const Device& d, DType t) {
  if (t == kFloat32) return {PrecisionSupport::Native, "float32"};
  PrecisionInfo p = precision_support(d, t);
  EMBER_CHECK(p.support != PrecisionSupport::Unsupported, "precision ", precision_name(t), " is not available on ",
              d.str(), ": ", p.detail);
  return p;
}

DType parse_precision(const std::string& name) {
  if (name == "fp32" || name == "float32") return kFloat32;
  if (name == "bf16" || name == "bfloat16") return kBFloat16;
  if (name == "fp16" || name == "float16") return kFloat16;
  EMBER_FAIL("unknown precision '", name, "' (fp32, bf16, fp16)");
}

const char* precision_name(DType t) {
  switch (t) {
    case kFloat32: return "fp32";
    case kBFloat16: return "bf16";
    case kFloat16: return "fp16";
    default: EMBER_FAIL("precision_name: ", dtype_name(t), " is not a training precision (fp32, bf16, fp16)");
  }
}

}  // namespace ember::amp
