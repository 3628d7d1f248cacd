// Small RAII wrappers and helpers for the cuDNN calls of conv, pooling and batch norm:
// descriptors, dtype mapping, scaling constants and error checks.
#pragma once
#include <cudnn.h>

#include <cstdint>

#include "core/kernels/tensor_arg.h"

namespace ember::cuda {

/// Throws ember::Error naming `what` and cuDNN's status.
void check_cudnn(cudnnStatus_t st, const char* what);
/// cuDNN's type for a floating dtype; throws naming op for others.
cudnnDataType_t cudnn_type(DType t, const char* op);
/// Whether cuDNN paths that have a hand-written alternative (batch norm, pooling) are used:
/// on unless EMBER_CUDA_CUDNN=0 (lets a GPU test compare both).
bool cudnn_optional_paths();

/// 1 and 0 in the scaling type cuDNN wants for dtype t (double for float64, float otherwise).
struct CudnnScale {
  explicit CudnnScale(DType t) : dbl(t == DType::Float64) {}
  const void* one() const { return dbl ? static_cast<const void*>(&d1) : &f1; }
  const void* zero() const { return dbl ? static_cast<const void*>(&d0) : &f0; }
  bool dbl;
  float f1 = 1.f, f0 = 0.f;
  double d1 = 1.0, d0 = 0.0;
};

struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDesc();
  ~TensorDesc();
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  /// Contiguous NCHW.
  void set4d(DType t, int64_t n, int64_t c, int64_t h, int64_t w, const char* op);
};

struct FilterDesc {
  cudnnFilterDescriptor_t d = nullptr;
  FilterDesc();
  ~FilterDesc();
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
};

struct ConvDesc {
  cudnnConvolutionDescriptor_t d = nullptr;
  ConvDesc();
  ~ConvDesc();
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
};

struct PoolDesc {
  cudnnPoolingDescriptor_t d = nullptr;
  PoolDesc();
  ~PoolDesc();
  PoolDesc(const PoolDesc&) = delete;
  PoolDesc& operator=(const PoolDesc&) = delete;
};

/// Narrows a size to cuDNN's int, naming the op when it does not fit.
int to_int(int64_t v, const char* op);

}  // namespace ember::cuda
