// Device scratch tensors and device-side copies (see temp_buffer.h).
#include "temp_buffer.h"

#include <algorithm>

#include "core/kernels/copy.h"
#include "launch.h"

namespace ember::opencl {

TempTensor::TempTensor(ClDevice& dev, DType t, const Shape& sizes) {
  alloc_ = &get_backend(Device(DeviceKind::OpenCL, dev.index())).buffers();
  nbytes_ = static_cast<size_t>(shape_numel(sizes)) * dtype_size(t);
  arg_ = TensorArg{alloc_->allocate(nbytes_), 0, t, sizes, contiguous_strides(sizes)};
}

TempTensor::~TempTensor() { alloc_->deallocate(arg_.data, nbytes_); }

void device_copy(const TensorArg& src, const TensorArg& dst) {
  ClDevice& dev = device_of(dst);
  EMBER_CHECK(&device_of(src) == &dev, "opencl: device copy between two devices");
  auto* copy = get_backend(Device(DeviceKind::OpenCL, dev.index())).kernels().get(kernels::kCopy);
  EMBER_CHECK(copy != nullptr, "opencl: the copy kernel is not registered");
  copy(src, dst);
}

namespace {
Shape compact_sizes(const TensorArg& a, int64_t keep_broadcast) {
  Shape s = a.sizes;
  for (int64_t d = 0; d < std::min<int64_t>(keep_broadcast, a.dim()); ++d)
    if (a.strides[d] == 0) s[d] = 1;
  return s;
}
}  // namespace

DenseCopy::DenseCopy(const TensorArg& a, DType t, int64_t keep_broadcast)
    : temp(device_of(a), t, compact_sizes(a, keep_broadcast)), arg(temp.arg()) {
  TensorArg src = a;
  src.sizes = temp.arg().sizes;
  device_copy(src, temp.arg());
  arg.sizes = a.sizes;
  for (size_t d = 0; d < a.sizes.size(); ++d)
    if (arg.sizes[d] != src.sizes[d]) arg.strides[d] = 0;
}

}  // namespace ember::opencl
