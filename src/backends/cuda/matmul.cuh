// CUDA matmul: strided batched GEMM through cuBLAS (cublasGemmStridedBatchedEx) or, when a
// bias is fused in, cuBLASLt with its bias epilogue. float64 computes in double; float32 in
// float32, or TF32 tensor cores when tf32_allowed(); float16/bfloat16 on tensor cores with
// float32 accumulation.
#pragma once
#include "core/kernels/matmul.h"

namespace ember::cuda {

/// kernels::MatmulKernel. Operands whose strides BLAS cannot take (gemm_plan.h) are copied to
/// contiguous scratch first; an unusable c is computed in scratch and copied back.
void matmul(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha, double beta);

}  // namespace ember::cuda
