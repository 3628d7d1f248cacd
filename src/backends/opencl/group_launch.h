// Helpers shared by the OpenCL families that reduce rows (reduce, softmax, norm, index):
// choosing between one work-item and one work-group per row and sizing the groups, scalars in
// a kernel's arithmetic type, optional tensor operands, and short-lived device scratch buffers.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "launch.h"

namespace ember::opencl {

/// A power-of-two work-group size for kernel k over blocks of `want` elements: the smallest of
/// 16, 64 and 256 that covers want, within what dev and k allow. Kernels launched with it
/// size their local arrays for 256 work-items.
inline size_t group_size(ClDevice& dev, cl_kernel k, size_t want = 256) {
  size_t kmax = 0;
  check(clGetKernelWorkGroupInfo(k, dev.device()(), CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax, nullptr),
        "querying a kernel's work-group size");
  size_t cap = std::min<size_t>({256, kmax, dev.max_work_group()});
  size_t p = 1;
  while (p * 2 <= cap) p *= 2;
  size_t w = 16;  // a few distinct sizes keep per-size kernel compilations (PoCL) rare
  while (w < want && w < p) w *= 4;
  return std::min(w, p);
}

/// Whether dev is a CPU device (PoCL and the like): there a work-group runs on one core and
/// its barriers cost microseconds, so a row reduction is cheaper as one work-item's loop.
inline bool is_cpu_device(const ClDevice& dev) {
  cl_device_type t = 0;
  check(clGetDeviceInfo(dev.device()(), CL_DEVICE_TYPE, sizeof t, &t, nullptr), "querying the device type");
  return (t & CL_DEVICE_TYPE_CPU) != 0;
}

/// The device's compute units (cores of a CPU device).
inline int64_t compute_units(const ClDevice& dev) {
  cl_uint n = 1;
  check(clGetDeviceInfo(dev.device()(), CL_DEVICE_MAX_COMPUTE_UNITS, sizeof n, &n, nullptr),
        "querying the compute units");
  return n ? n : 1;
}

/// Whether rows of row_len elements reduce best one per work-item (a serial loop) rather than
/// one per work-group (a local-memory tree): short rows, many medium rows, or a CPU device.
/// EMBER_OPENCL_ROWS=items or =groups forces one way (to test both kernels on any device).
inline bool rows_per_item(const ClDevice& dev, int64_t rows, int64_t row_len) {
  if (const char* e = std::getenv("EMBER_OPENCL_ROWS"); e && *e) {
    if (std::strcmp(e, "items") == 0) return true;
    if (std::strcmp(e, "groups") == 0) return false;
  }
  return row_len <= 32 || (row_len <= 512 && rows >= 8192) || is_cpu_device(dev);
}

/// Enqueues a row kernel of l: one work-item per row (such kernels take the row count as
/// their last argument, added here) or one work-group per row, sized for rows of len.
inline void run_rows(Launch& l, ClDevice& dev, cl_kernel k, bool items, int64_t rows, int64_t len) {
  if (items) {
    l.value<cl_long>(rows).run(static_cast<size_t>(rows));
    return;
  }
  const size_t wg = group_size(dev, k, static_cast<size_t>(len));
  l.run2d(static_cast<size_t>(rows) * wg, 1, wg, 1);
}

/// Sets v as a scalar of the arithmetic type of dtype t's role (double for float64, float for
/// the other floats), rounded as the CPU rounds it (static_cast<acc_t<T>>(v)).
inline Launch& acc_scalar(Launch& l, DType t, double v) {
  if (t == DType::Float64) return l.value<cl_double>(v);
  return l.value<cl_float>(static_cast<float>(v));
}

/// An optional tensor operand: a's buffer, offset and stride along dim 0, or (when a is null)
/// stand-in's buffer with offset and stride 0 (the kernel is told by a flag not to use it).
inline Launch& opt_tensor(Launch& l, const TensorArg* a, const TensorArg& stand_in) {
  if (!a) return l.buffer(stand_in).value<cl_long>(0).value<cl_long>(0);
  return l.tensor(*a).value<cl_long>(a->dim() ? a->strides[0] : 0);
}

/// A device buffer for intermediate results, taken from (and given back to) the device's
/// caching allocator. Giving it back while kernels that use it are queued is safe: the queue
/// is in order, so a later user of the same buffer runs after them.
class Scratch {
 public:
  Scratch(ClDevice& dev, size_t nbytes)
      : alloc_(get_backend(Device(DeviceKind::OpenCL, dev.index())).buffers()),
        nbytes_(std::max<size_t>(nbytes, 8)),
        buf_(static_cast<ClBuffer*>(alloc_.allocate(nbytes_))) {}
  ~Scratch() { alloc_.deallocate(buf_, nbytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  cl_mem mem() const { return buf_->mem; }

 private:
  BufferAllocator& alloc_;
  size_t nbytes_;
  ClBuffer* buf_;
};

}  // namespace ember::opencl
