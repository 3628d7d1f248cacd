// Low-precision capability probe (see precision.h): builds (never runs) a small matmul and
// convolution primitive in bf16 and f16 and looks at which implementation oneDNN picked.
#include "backends/cpu/onednn/precision.h"

#include "backends/cpu/onednn/onednn_common.h"

namespace ember::cpu::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

/// oneDNN's implementation name for a 64x64x64 matmul in t ("" when it has none).
std::string matmul_impl(dt t) {
  try {
    dnnl::memory::desc a({64, 64}, t, tag::ab), b({64, 64}, t, tag::ab), c({64, 64}, t, tag::ab);
#if DNNL_VERSION_MAJOR >= 3
    dnnl::matmul::primitive_desc pd(engine(), a, b, c);
#else
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), engine());
#endif
    return pd.impl_info_str();
  } catch (const dnnl::error&) {
    return "";
  }
}

/// The same for a 3x3 convolution of a (8,16,14,14) input, channels-last as ember's
/// low-precision activations are on the CPU (core/memory_format.h).
std::string conv_impl(dt t) {
  try {
    dnnl::memory::desc x({8, 16, 14, 14}, t, tag::nhwc), w({32, 16, 3, 3}, t, tag::any),
        y({8, 32, 14, 14}, t, tag::nhwc);
    const dnnl::memory::dims st{1, 1}, pad{1, 1};
    const auto fwd = dnnl::prop_kind::forward_training;
    const auto alg = dnnl::algorithm::convolution_direct;
#if DNNL_VERSION_MAJOR >= 3
    dnnl::convolution_forward::primitive_desc pd(engine(), fwd, alg, x, w, y, st, pad, pad);
#else
    dnnl::convolution_forward::primitive_desc pd(dnnl::convolution_forward::desc(fwd, alg, x, w, y, st, pad, pad),
                                                 engine());
#endif
    return pd.impl_info_str();
  } catch (const dnnl::error&) {
    return "";
  }
}

bool optimised(const std::string& impl) { return !impl.empty() && impl.rfind("ref", 0) != 0; }

std::string version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

std::string describe_bf16() {
  const std::string mm = matmul_impl(dt::bf16), cv = conv_impl(dt::bf16);
  if (!optimised(mm) || !optimised(cv))
    return "reference (oneDNN " + version() + " has no bf16 matmul/conv on this CPU without AVX-512: ember's "
           "reference loops compute in float32, correct but far slower than fp32)";
  const std::string how = "oneDNN matmul " + mm + ", conv " + cv;
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: return "native (AMX bf16 tiles; " + how + ")";
    case dnnl::cpu_isa::avx512_core_bf16: return "native (AVX512-BF16; " + how + ")";
    default: return "emulated (AVX-512 without bf16 instructions, oneDNN converts to float; " + how + ")";
  }
}

std::string describe_fp16() {
  const std::string mm = matmul_impl(dt::f16), cv = conv_impl(dt::f16);
  if (optimised(mm) && optimised(cv)) return "native (oneDNN matmul " + mm + ", conv " + cv + ")";
  return "reference (oneDNN " + version() +
         " has no f16 matmul/conv on this CPU: ember's reference loops compute in float32, slower than fp32)";
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& low_precision_properties() {
  static const std::vector<std::pair<std::string, std::string>> props{{"bf16", describe_bf16()},
                                                                       {"fp16", describe_fp16()}};
  return props;
}

}  // namespace ember::cpu::onednn
