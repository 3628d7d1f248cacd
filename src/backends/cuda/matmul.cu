// CUDA matmul: cuBLAS strided batched GEMM, cuBLASLt with a fused bias epilogue, and a small
// kernel for the bias (and the K == 0 case) when the epilogue does not apply. Operand layouts
// come from gemm_plan.h; operands BLAS cannot take in place are made contiguous first.
#include <cublasLt.h>
#include <cublas_v2.h>

#include <climits>
#include <cstdint>
#include <optional>

#include "backends/cuda/copy.cuh"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "backends/cuda/gemm_plan.h"
#include "backends/cuda/matmul.cuh"

namespace ember::cuda {
namespace {

void check_cublas(cublasStatus_t st, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS) EMBER_FAIL("matmul (cuda): ", what, " failed: ", cublasGetStatusString(st));
}

cudaDataType cuda_type(DType t) {
  switch (t) {
    case DType::Float32: return CUDA_R_32F;
    case DType::Float64: return CUDA_R_64F;
    case DType::Float16: return CUDA_R_16F;
    case DType::BFloat16: return CUDA_R_16BF;
    default: EMBER_FAIL("matmul (cuda): unsupported dtype ", dtype_name(t), " (floating only)");
  }
}

cublasComputeType_t compute_type(DType t) {
  if (t == DType::Float64) return CUBLAS_COMPUTE_64F;
  if (t == DType::Float32 && tf32_allowed()) return CUBLAS_COMPUTE_32F_FAST_TF32;
  return CUBLAS_COMPUTE_32F;  // float32, and float16/bfloat16 with float32 accumulation
}

/// alpha and beta in the GEMM's scale type (double for float64, float otherwise).
struct Scales {
  float f[2];
  double d[2];
  bool dbl;
  Scales(DType t, double alpha, double beta)
      : f{static_cast<float>(alpha), static_cast<float>(beta)}, d{alpha, beta}, dbl(t == DType::Float64) {}
  const void* alpha() const { return dbl ? static_cast<const void*>(&d[0]) : &f[0]; }
  const void* beta() const { return dbl ? static_cast<const void*>(&d[1]) : &f[1]; }
};

/// c = (scale_c ? beta * c : c) + bias[n] over c's strides (bias strides: 0 but along n).
template <class T>
__global__ void bias_kernel(T* c, const T* bias, int64_t n, StridedIter<2> it, double beta, bool scale_c) {
  using A = acc_t<T>;
  EMBER_GRID_STRIDE(i, n) {
    int64_t o[2];
    it.offsets(i, o);
    A v = scale_c ? (beta != 0 ? static_cast<A>(beta) * to_acc(c[o[0]]) : A(0)) : to_acc(c[o[0]]);
    if (bias) v += to_acc(bias[o[1]]);
    c[o[0]] = from_acc<T>(v);
  }
}

void launch_bias(DeviceContext& ctx, const TensorArg& c, const TensorArg* bias, double beta, bool scale_c) {
  Shape bias_strides(c.sizes.size(), 0);
  if (bias) bias_strides.back() = bias->strides.empty() ? 0 : bias->strides[0];
  const StridedIter<2> it = make_iter<2>(c.sizes, {&c.strides, &bias_strides}, "matmul");
  const int64_t n = c.numel();
  EMBER_CUDA_DISPATCH_FLOATING(c.dtype, "matmul", {
    bias_kernel<scalar_t><<<grid_for(n, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<scalar_t>(c), bias ? device_ptr<const scalar_t>(*bias) : nullptr, n, it, beta, scale_c);
  });
  check_launch("matmul bias");
}

/// An operand as BLAS will read it: in place, or a contiguous scratch copy.
struct Operand {
  TensorArg arg;
  GemmMatrix layout;
  std::optional<TempBuffer> scratch;
  Operand(DeviceContext& ctx, const TensorArg& x, bool copy_in) : arg(x), layout(gemm_layout(x.sizes, x.strides)) {
    if (layout.ok) return;
    scratch.emplace(ctx, static_cast<size_t>(x.numel()) * dtype_size(x.dtype));
    arg = scratch->arg(x.sizes, x.dtype);
    if (copy_in) copy_tensor(x, arg);
    layout = gemm_layout(arg.sizes, arg.strides);
  }
};

uint32_t alignment_of(const void* p) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  const uintptr_t a = v & (~v + 1);
  return static_cast<uint32_t>(a == 0 || a > 256 ? 256 : a);
}

template <class H, cublasStatus_t (*Destroy)(H)>
struct LtHandle {
  H h = nullptr;
  ~LtHandle() {
    if (h) Destroy(h);
  }
};

constexpr size_t kLtWorkspace = size_t{32} << 20;

/// D = alpha op(A) op(B) + beta C + bias through cuBLASLt's bias epilogue (bias along the m
/// rows of the column-major result). False when cuBLASLt offers no algorithm.
bool lt_matmul(DeviceContext& ctx, const GemmCall& g, int64_t batch, DType t, const void* A, const void* B, void* C,
               const void* bias, const Scales& s) {
  const cudaDataType type = cuda_type(t);
  const cudaDataType scale = t == DType::Float64 ? CUDA_R_64F : CUDA_R_32F;
  LtHandle<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy> op;
  if (cublasLtMatmulDescCreate(&op.h, compute_type(t), scale) != CUBLAS_STATUS_SUCCESS) return false;
  const cublasOperation_t ta = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, tb = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
  cublasLtMatmulDescSetAttribute(op.h, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
  cublasLtMatmulDescSetAttribute(op.h, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
  cublasLtMatmulDescSetAttribute(op.h, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi);
  cublasLtMatmulDescSetAttribute(op.h, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias);
  using Layout = LtHandle<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
  Layout la, lb, lc;
  auto make = [&](Layout& l, int64_t rows, int64_t cols, int64_t ld, int64_t stride) {
    if (cublasLtMatrixLayoutCreate(&l.h, type, rows, cols, ld) != CUBLAS_STATUS_SUCCESS) return false;
    if (batch > 1) {
      const int32_t count = static_cast<int32_t>(batch);
      cublasLtMatrixLayoutSetAttribute(l.h, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count);
      cublasLtMatrixLayoutSetAttribute(l.h, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride);
    }
    return true;
  };
  if (!make(la, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, g.stride_a) ||
      !make(lb, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, g.stride_b) ||
      !make(lc, g.m, g.n, g.ldc, g.stride_c))
    return false;
  LtHandle<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy> pref;
  if (cublasLtMatmulPreferenceCreate(&pref.h) != CUBLAS_STATUS_SUCCESS) return false;
  const uint64_t ws = kLtWorkspace;
  cublasLtMatmulPreferenceSetAttribute(pref.h, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
  const uint32_t al_a = alignment_of(A), al_b = alignment_of(B), al_c = alignment_of(C);
  cublasLtMatmulPreferenceSetAttribute(pref.h, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a, sizeof al_a);
  cublasLtMatmulPreferenceSetAttribute(pref.h, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b, sizeof al_b);
  cublasLtMatmulPreferenceSetAttribute(pref.h, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_c, sizeof al_c);
  cublasLtMatmulPreferenceSetAttribute(pref.h, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_c, sizeof al_c);
  cublasLtMatmulHeuristicResult_t res{};
  int found = 0;
  cublasLtHandle_t lt = ctx.cublas_lt();
  if (cublasLtMatmulAlgoGetHeuristic(lt, op.h, la.h, lb.h, lc.h, lc.h, pref.h, 1, &res, &found) != CUBLAS_STATUS_SUCCESS ||
      found == 0)
    return false;
  void* workspace = ctx.workspace(res.workspaceSize);
  check_cublas(cublasLtMatmul(lt, op.h, s.alpha(), A, la.h, B, lb.h, s.beta(), C, lc.h, C, lc.h, &res.algo, workspace,
                              res.workspaceSize, ctx.stream()),
               "cublasLtMatmul");
  return true;
}

}  // namespace

void matmul(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha, double beta) {
  EMBER_CHECK(a.dtype == b.dtype && a.dtype == c.dtype && (!bias || bias->dtype == c.dtype),
              "matmul kernel: operands must share one dtype");
  EMBER_CHECK(c.dim() >= 2 && a.dim() == c.dim() && b.dim() == c.dim(), "matmul kernel: operands must have rank >= 2");
  if (c.numel() == 0) return;
  DeviceContext& ctx = context_of(c);
  const int64_t nd = c.dim(), M = c.sizes[nd - 2], N = c.sizes[nd - 1], K = a.sizes[nd - 1];
  const DType t = c.dtype;
  cuda_type(t);  // rejects non-floating dtypes
  if (K == 0) {  // c = beta * c + bias
    launch_bias(ctx, c, bias, beta, true);
    return;
  }
  const int64_t batch = c.numel() / (M * N);
  Operand oa(ctx, a, true), ob(ctx, b, true), oc(ctx, c, beta != 0);
  const GemmCall g = plan_gemm(oa.layout, ob.layout, oc.layout, M, N, K);
  for (int64_t v : {g.m, g.n, g.k, g.lda, g.ldb, g.ldc, batch})
    EMBER_CHECK(v <= INT_MAX, "matmul (cuda): a dimension of ", shape_str(a.sizes), " x ", shape_str(b.sizes),
                " exceeds cuBLAS's 32-bit sizes");
  const void* pa = device_ptr_bytes(g.swap ? ob.arg : oa.arg);
  const void* pb = device_ptr_bytes(g.swap ? oa.arg : ob.arg);
  void* pc = device_ptr_bytes(oc.arg);
  const Scales s(t, alpha, beta);
  // The fused epilogue adds bias along the rows of the column-major result: n of a row-major c.
  const bool lt_bias = bias && t != DType::Float64 && g.swap && (N == 1 || bias->strides[0] == 1);
  bool done = lt_bias && lt_matmul(ctx, g, batch, t, pa, pb, pc, device_ptr_bytes(*bias), s);
  if (!done) {
    check_cublas(cublasGemmStridedBatchedEx(ctx.cublas(), g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                                            g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(g.m),
                                            static_cast<int>(g.n), static_cast<int>(g.k), s.alpha(), pa, cuda_type(t),
                                            static_cast<int>(g.lda), g.stride_a, pb, cuda_type(t), static_cast<int>(g.ldb),
                                            g.stride_b, s.beta(), pc, cuda_type(t), static_cast<int>(g.ldc), g.stride_c,
                                            static_cast<int>(batch), compute_type(t), CUBLAS_GEMM_DEFAULT),
                 "cublasGemmStridedBatchedEx");
    if (bias) launch_bias(ctx, oc.arg, bias, 0.0, false);
  }
  if (oc.scratch) copy_tensor(oc.arg, c);
}

void register_matmul_kernels(KernelTable& t) { t.set(kernels::kMatmul, matmul); }

}  // namespace ember::cuda
