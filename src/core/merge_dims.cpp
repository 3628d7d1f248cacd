// Dimension merging for strided kernels (see merge_dims.h).
#include "core/merge_dims.h"

namespace ember {

int merge_dims(int ndim, const int64_t* sizes, int n, const int64_t* const* strides, int64_t* out_sizes,
               int64_t* const* out_strides) {
  int nd = 0;
  for (int d = 0; d < ndim; ++d) {
    if (sizes[d] == 1) continue;
    bool fuse = nd > 0;
    for (int k = 0; fuse && k < n; ++k) fuse = out_strides[k][nd - 1] == strides[k][d] * sizes[d];
    if (fuse) {
      out_sizes[nd - 1] *= sizes[d];
      for (int k = 0; k < n; ++k) out_strides[k][nd - 1] = strides[k][d];  // the inner stride steps the fused dim
    } else {
      out_sizes[nd] = sizes[d];
      for (int k = 0; k < n; ++k) out_strides[k][nd] = strides[k][d];
      ++nd;
    }
  }
  return nd;
}

}  // namespace ember
