// Launching a kernel of this backend: arguments are set in order (a tensor operand is its
// cl_mem followed by its element offset as a long; a strided view is a Strided struct
// matching kernels/common.cl), then the kernel is enqueued on the device's in-order queue
// without waiting for it. Holds the device's launch mutex for its lifetime.
#pragma once
#include <mutex>
#include <vector>

#include "buffers.h"

namespace ember::opencl {

inline constexpr int kMaxDims = 8;

/// Host mirror of `Strided` in kernels/common.cl (same layout: 8-byte fields first).
struct ClStrided {
  cl_long offset = 0;
  cl_int ndim = 0;
  cl_int pad = 0;
  cl_long sizes[kMaxDims] = {};
  cl_long strides[kMaxDims] = {};
};

/// The view of a with the given sizes/strides (defaults: a's own). Requires <= kMaxDims dims.
ClStrided strided_view(const TensorArg& a);

/// The views of operands that all walk `sizes` (each with its own strides), after merging
/// the dims every operand can walk as one and dropping size-1 dims, so strided kernels index
/// fewer dims. contig = 1 when every operand is then dense (kernels index offset + i).
struct Views {
  std::vector<ClStrided> v;  // one per operand, in order
  cl_int contig = 1;
};
Views views_of(const Shape& sizes, std::initializer_list<const TensorArg*> operands);

class Launch {
 public:
  Launch(ClDevice& dev, cl_kernel k) : dev_(dev), k_(k), lock_(dev.launch_mutex()) {}
  /// A tensor operand: its buffer and element offset (two kernel arguments).
  Launch& tensor(const TensorArg& a);
  /// Only the buffer of a (for kernels that take its offset inside a strided view).
  Launch& buffer(const TensorArg& a) { return value(buffer_of(a).mem); }
  Launch& view(const ClStrided& s) { return raw(&s, sizeof s); }
  template <class T>
  Launch& value(T v) { return raw(&v, sizeof v); }
  Launch& raw(const void* p, size_t n);
  /// Enqueues n work-items in 1-D (rounded up to the work-group size; kernels check bounds).
  void run(size_t n);
  /// Enqueues a 2-D range global (exact) with work-group local (or the runtime's choice if 0).
  void run2d(size_t g0, size_t g1, size_t l0 = 0, size_t l1 = 0);

 private:
  ClDevice& dev_;
  cl_kernel k_;
  std::lock_guard<std::mutex> lock_;
  cl_uint arg_ = 0;
};

/// The device of a tensor operand.
inline ClDevice& device_of(const TensorArg& a) { return *buffer_of(a).device; }

}  // namespace ember::opencl
