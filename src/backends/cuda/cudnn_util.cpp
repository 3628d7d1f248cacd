// cuDNN descriptor wrappers and helpers (see cudnn_util.h).
#include "backends/cuda/cudnn_util.h"

#include <climits>
#include <cstdlib>
#include <cstring>

namespace ember::cuda {

void check_cudnn(cudnnStatus_t st, const char* what) {
  if (st != CUDNN_STATUS_SUCCESS) EMBER_FAIL(what, " (cuda): cuDNN failed: ", cudnnGetErrorString(st));
}

cudnnDataType_t cudnn_type(DType t, const char* op) {
  switch (t) {
    case DType::Float32: return CUDNN_DATA_FLOAT;
    case DType::Float64: return CUDNN_DATA_DOUBLE;
    case DType::Float16: return CUDNN_DATA_HALF;
    case DType::BFloat16: return CUDNN_DATA_BFLOAT16;
    default: EMBER_FAIL(op, " (cuda): unsupported dtype ", dtype_name(t), " (floating only)");
  }
}

bool cudnn_optional_paths() {
  static const bool on = [] {
    const char* v = std::getenv("EMBER_CUDA_CUDNN");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

int to_int(int64_t v, const char* op) {
  EMBER_CHECK(v >= 0 && v <= INT_MAX, op, " (cuda): size ", v, " exceeds cuDNN's 32-bit sizes");
  return static_cast<int>(v);
}

TensorDesc::TensorDesc() { check_cudnn(cudnnCreateTensorDescriptor(&d), "cudnnCreateTensorDescriptor"); }
TensorDesc::~TensorDesc() { cudnnDestroyTensorDescriptor(d); }
void TensorDesc::set4d(DType t, int64_t n, int64_t c, int64_t h, int64_t w, const char* op) {
  check_cudnn(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, cudnn_type(t, op), to_int(n, op), to_int(c, op),
                                         to_int(h, op), to_int(w, op)),
              op);
}

FilterDesc::FilterDesc() { check_cudnn(cudnnCreateFilterDescriptor(&d), "cudnnCreateFilterDescriptor"); }
FilterDesc::~FilterDesc() { cudnnDestroyFilterDescriptor(d); }

ConvDesc::ConvDesc() { check_cudnn(cudnnCreateConvolutionDescriptor(&d), "cudnnCreateConvolutionDescriptor"); }
ConvDesc::~ConvDesc() { cudnnDestroyConvolutionDescriptor(d); }

PoolDesc::PoolDesc() { check_cudnn(cudnnCreatePoolingDescriptor(&d), "cudnnCreatePoolingDescriptor"); }
PoolDesc::~PoolDesc() { cudnnDestroyPoolingDescriptor(d); }

}  // namespace ember::cuda
