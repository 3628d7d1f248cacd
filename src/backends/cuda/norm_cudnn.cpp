// Batch norm through cuDNN (spatial mode, x seen as (N,C,S,1)) for the operands it suits:
// float32/float64, contiguous x/out/grad, weight and bias present, unit-stride statistics.
// cuDNN's running variance is unbiased, so the biased batch variance the kernel contract asks
// for is that times (M-1)/M.
#include <cuda_runtime_api.h>

#include <climits>

#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/norm.cuh"

namespace ember::cuda {
namespace {

bool unit(const TensorArg* a) { return a && (a->sizes[0] == 1 || a->strides[0] == 1); }

bool suits(const TensorArg& x) {
  if (!cudnn_optional_paths()) return false;
  if (x.dtype != DType::Float32 && x.dtype != DType::Float64) return false;
  if (!x.contiguous()) return false;
  for (int64_t v : x.sizes)
    if (v > INT_MAX) return false;
  return x.sizes[0] * x.sizes[2] > 1;  // M > 1: the unbiased variance exists
}

/// x and its (1,C,1,1) statistics descriptor.
struct BnDescs {
  TensorDesc x, stats;
  explicit BnDescs(const TensorArg& xa) {
    x.set4d(xa.dtype, xa.sizes[0], xa.sizes[1], xa.sizes[2], 1, "batch_norm");
    check_cudnn(cudnnDeriveBNTensorDescriptor(stats.d, x.d, CUDNN_BATCHNORM_SPATIAL), "batch_norm");
  }
};

}  // namespace

bool cudnn_batch_norm_forward(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                              const TensorArg& out, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd) {
  if (!suits(x) || !out.contiguous() || !unit(weight) || !unit(bias) || !unit(&mean) || !unit(&var) || !unit(&rstd))
    return false;
  DeviceContext& ctx = context_of(x);
  BnDescs d(x);
  const int64_t C = x.sizes[1], M = x.sizes[0] * x.sizes[2];
  const size_t stat_bytes = static_cast<size_t>(C) * dtype_size(x.dtype);
  // With an averaging factor of 1 the running statistics become the batch's; they start at 0
  // so that whatever the buffers held cannot leak in (0 * NaN).
  TempBuffer running_mean(ctx, stat_bytes);
  cudaStream_t s = ctx.stream();
  EMBER_CUDA_CHECK(cudaMemsetAsync(running_mean.get(), 0, stat_bytes, s), "batch_norm");
  EMBER_CUDA_CHECK(cudaMemsetAsync(device_ptr_bytes(var), 0, stat_bytes, s), "batch_norm");
  cudnnHandle_t h = ctx.cudnn();
  const CudnnScale k(x.dtype);
  check_cudnn(cudnnBatchNormalizationForwardTraining(h, CUDNN_BATCHNORM_SPATIAL, k.one(), k.zero(), d.x.d, device_ptr_bytes(x),
                                                     d.x.d, device_ptr_bytes(out), d.stats.d, device_ptr_bytes(*weight),
                                                     device_ptr_bytes(*bias), 1.0, running_mean.get(),
                                                     device_ptr_bytes(var), eps, device_ptr_bytes(mean),
                                                     device_ptr_bytes(rstd)),
              "batch_norm");
  // Unbiased -> biased variance.
  const double f = static_cast<double>(M - 1) / static_cast<double>(M);
  const float ff = static_cast<float>(f);
  check_cudnn(cudnnScaleTensor(h, d.stats.d, device_ptr_bytes(var), x.dtype == DType::Float64 ? static_cast<const void*>(&f) : &ff),
              "batch_norm");
  return true;
}

bool cudnn_batch_norm_backward(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                               const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                               const TensorArg* dbias) {
  if (!training || !dx || !suits(x) || !grad.contiguous() || !dx->contiguous() || !unit(weight) || !unit(&mean) ||
      !unit(&rstd))
    return false;
  if ((dweight && !unit(dweight)) || (dbias && !unit(dbias))) return false;
  DeviceContext& ctx = context_of(x);
  BnDescs d(x);
  const size_t stat_bytes = static_cast<size_t>(x.sizes[1]) * dtype_size(x.dtype);
  TempBuffer dw_scratch(ctx, dweight ? 0 : stat_bytes), db_scratch(ctx, dbias ? 0 : stat_bytes);
  const CudnnScale k(x.dtype);
  // epsilon is only used when no saved statistics are given; ours always are.
  check_cudnn(cudnnBatchNormalizationBackward(ctx.cudnn(), CUDNN_BATCHNORM_SPATIAL, k.one(), k.zero(), k.one(), k.zero(),
                                              d.x.d, device_ptr_bytes(x), d.x.d, device_ptr_bytes(grad), d.x.d,
                                              device_ptr_bytes(*dx), d.stats.d, device_ptr_bytes(*weight),
                                              dweight ? device_ptr_bytes(*dweight) : dw_scratch.get(),
                                              dbias ? device_ptr_bytes(*dbias) : db_scratch.get(), 1e-5,
                                              device_ptr_bytes(mean), device_ptr_bytes(rstd)),
              "batch_norm_backward");
  return true;
}

}  // namespace ember::cuda
