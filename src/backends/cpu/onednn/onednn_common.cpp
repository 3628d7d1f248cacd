// Shared oneDNN plumbing: engine/stream singletons, dtype mapping and TensorArg descriptors.
#include "backends/cpu/onednn/onednn_common.h"

#include <string>


namespace ember::cpu::onednn {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

std::optional<dnnl::memory::data_type> data_type(DType t) {
  using dt = dnnl::memory::data_type;
  switch (t) {
    case DType::Float32: return dt::f32;
    case DType::BFloat16: return dt::bf16;
    case DType::Float16: return dt::f16;
    case DType::Int32: return dt::s32;
    case DType::UInt8: return dt::u8;
    default: return std::nullopt;
  }
}

dnnl::memory::desc desc_of(const Shape& sizes, const Shape& strides, DType t) {
  auto dt = data_type(t);
  EMBER_CHECK(dt.has_value(), "oneDNN: no data type for ", dtype_name(t));
  dnnl::memory::dims d(sizes.begin(), sizes.end()), s(strides.begin(), strides.end());
  return dnnl::memory::desc(d, *dt, s);
}

dnnl::memory::desc desc_of(const TensorArg& a) { return desc_of(a.sizes, a.strides, a.dtype); }

dnnl::memory memory_of(const TensorArg& a, const dnnl::memory::desc& md) {
  void* p = static_cast<char*>(a.data) + a.offset * static_cast<int64_t>(dtype_size(a.dtype));
  return dnnl::memory(md, engine(), p);
}

bool is_reference_impl(const dnnl::primitive_desc_base& pd) {
  std::string impl = pd.impl_info_str();
  return impl.rfind("ref", 0) == 0;
}

}  // namespace ember::cpu::onednn
