// Shared oneDNN plumbing for the CPU fast paths (matmul, conv, pool): the engine, a per-thread
// stream, the DType -> dnnl data_type mapping and memory descriptors/objects for TensorArgs.
// Works with the oneDNN 2.x and 3.x C++ APIs; version-specific code stays in each fast path.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>

#include "core/kernels/tensor_arg.h"

namespace ember::cpu::onednn {

/// The process-wide CPU engine.
dnnl::engine& engine();
/// An in-order stream on engine(), one per calling thread.
dnnl::stream& stream();

/// The oneDNN data type of t, or nullopt when oneDNN has none (float64, int64, bool).
std::optional<dnnl::memory::data_type> data_type(DType t);

/// A strided memory descriptor with a's sizes and strides (in elements). Requires data_type(a.dtype).
dnnl::memory::desc desc_of(const TensorArg& a);
/// Same with explicit sizes/strides (e.g. broadcast dims rewritten to size 1).
dnnl::memory::desc desc_of(const Shape& sizes, const Shape& strides, DType t);

/// A memory object wrapping the CPU buffer of a (element 0 = a.data + a.offset); no copy.
dnnl::memory memory_of(const TensorArg& a, const dnnl::memory::desc& md);

/// True when oneDNN picked its slow reference implementation ("ref:..."): callers then prefer
/// ember's own reference loops.
bool is_reference_impl(const dnnl::primitive_desc_base& pd);

}  // namespace ember::cpu::onednn
