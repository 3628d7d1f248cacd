// What the CPU does with bfloat16 and float16 matmul/convolution: asks oneDNN (on this CPU,
// with this oneDNN) whether it has optimised kernels for each, and reports it as the CPU
// backend's DeviceInfo properties "bf16" and "fp16" (read by amp::precision_support).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace ember::cpu::onednn {

/// {"bf16", "<support> (<why>)"}, {"fp16", ...} with <support> one of native, emulated,
/// reference, unsupported (see amp::PrecisionSupport). Computed once.
const std::vector<std::pair<std::string, std::string>>& low_precision_properties();

}  // namespace ember::cpu::onednn
