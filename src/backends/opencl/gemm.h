// CLBlast GEMM as this backend's matmul and conv kernels call it: row-major C, operands given
// as buffer + element offset + leading dim + whether stored transposed, float32 or float64.
// CLBlast's status codes become ember::Error naming the status. On PoCL's CPU device the
// GEMM kernels run with parameters measured there (CLBlast has no tuning for it).
#pragma once
#include <vector>

#include "cl_device.h"

namespace ember::opencl {

/// One matrix operand of a GEMM. Not transposed: an (rows x cols) row-major matrix with row
/// stride ld >= cols. Transposed: stored as (cols x rows) row-major with row stride ld >= rows.
struct GemmOperand {
  cl_mem mem = nullptr;
  size_t offset = 0;  // elements
  size_t ld = 1;
  bool trans = false;
};

/// The parts of one (batched) GEMM: C (m x n, row-major, ld c.ld, c.trans must be false) =
/// alpha * A (m x k) * B (k x n) + beta * C. beta == 0 means C is not read.
struct GemmShape {
  size_t m = 0, n = 0, k = 0;
};

/// One GEMM on dev's queue in dtype t (Float32 or Float64; Float64 requires dev.has_fp64()).
/// Requires m, n, k >= 1.
void gemm(ClDevice& dev, DType t, GemmShape s, double alpha, const GemmOperand& a, const GemmOperand& b, double beta,
          const GemmOperand& c);

/// Same product, with K split into parts computed as one batched GEMM into a temporary and
/// summed in order on the device, when K is long and C small (few output tiles would leave
/// most compute units idle); a plain gemm() otherwise. Deterministic.
void gemm_split_k(ClDevice& dev, DType t, GemmShape s, double alpha, const GemmOperand& a, const GemmOperand& b,
                  double beta, const GemmOperand& c);

/// batch GEMMs whose operands advance by a fixed element stride (0 allowed for a and b).
void gemm_strided_batched(ClDevice& dev, DType t, GemmShape s, double alpha, const GemmOperand& a, size_t a_stride,
                          const GemmOperand& b, size_t b_stride, double beta, const GemmOperand& c, size_t c_stride,
                          size_t batch);

/// GEMMs at the given element offsets (one per batch entry; the operands' own offsets are
/// ignored). Requires the three offset lists to have the same length >= 1.
void gemm_batched(ClDevice& dev, DType t, GemmShape s, double alpha, const GemmOperand& a,
                  const std::vector<size_t>& a_offsets, const GemmOperand& b, const std::vector<size_t>& b_offsets,
                  double beta, const GemmOperand& c, const std::vector<size_t>& c_offsets);

}  // namespace ember::opencl
