// What every CUDA kernel needs at hand: the buffer handle behind a TensorArg, the device it
// lives on, that device's stream and library handles (created on first use), a reusable
// workspace, and error checks that turn CUDA/cuBLAS/cuDNN failures into ember::Error.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <mutex>
#include <string>

#include "core/kernels/tensor_arg.h"

// Library handle types, declared as the libraries do (their headers stay out of most files).
typedef struct cublasContext* cublasHandle_t;
typedef struct cublasLtContext* cublasLtHandle_t;
typedef struct cudnnContext* cudnnHandle_t;

namespace ember::cuda {

/// The handle a CUDA tensor's TensorArg::data carries: a device allocation and its device.
/// Only this backend looks inside (the handle is not a device pointer).
struct DeviceBuffer {
  void* ptr = nullptr;  // device memory, 256-byte aligned
  size_t bytes = 0;     // the allocation's (rounded) size
  int device = 0;
};

inline DeviceBuffer* buffer_of(const TensorArg& a) { return static_cast<DeviceBuffer*>(a.data); }
/// Typed device pointer to a's first element (offset applied). T must have dtype_size(a.dtype) bytes.
template <class T>
T* device_ptr(const TensorArg& a) {
  return static_cast<T*>(buffer_of(a)->ptr) + a.offset;
}
inline void* device_ptr_bytes(const TensorArg& a) {
  return static_cast<char*>(buffer_of(a)->ptr) + a.offset * static_cast<int64_t>(dtype_size(a.dtype));
}

/// Throws ember::Error naming `what` and the CUDA error (clearing a non-sticky error first).
[[noreturn]] void fail_cuda(cudaError_t e, const char* what);
/// Throws unless the last kernel launch succeeded (launch configuration errors).
void check_launch(const char* what);

#define EMBER_CUDA_CHECK(expr, what)                         \
  do {                                                       \
    const cudaError_t ember_cuda_err_ = (expr);              \
    if (ember_cuda_err_ != cudaSuccess)                      \
      ::ember::cuda::fail_cuda(ember_cuda_err_, what);       \
  } while (0)

class CachingDeviceAllocator;

/// Per-device state, created at registration and initialised on first use (so that a
/// CPU-only program on a GPU machine never creates a CUDA context). Deliberately never
/// destroyed: CUDA and its libraries tear themselves down at exit before static destructors
/// would run, so freeing handles then could crash; the process exit releases everything.
class DeviceContext {
 public:
  explicit DeviceContext(int device);
  int device() const { return device_; }
  /// Makes this device current on the calling thread and creates the stream on first use.
  cudaStream_t stream();
  cublasHandle_t cublas();
  cublasLtHandle_t cublas_lt();
  cudnnHandle_t cudnn();
  CachingDeviceAllocator& allocator() { return *alloc_; }
  /// A device scratch area of at least `bytes`, valid until the next workspace() call on this
  /// device (work is ordered on the one stream, so consecutive kernels may reuse it).
  void* workspace(size_t bytes);
  /// Device int the kernels set (atomically) to report bad input such as an out-of-range
  /// target; read_error_flag() waits for the stream, returns the value and clears it.
  int* error_flag();
  int read_error_flag();
  /// Number of SMs (for grid sizes).
  int sm_count() const { return sm_count_; }

 private:
  void init();
  int device_;
  int sm_count_ = 1;
  std::once_flag once_;
  std::mutex mu_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cublasLtHandle_t lt_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  CachingDeviceAllocator* alloc_ = nullptr;
  void* ws_ = nullptr;  // a DeviceBuffer* from alloc_
  size_t ws_bytes_ = 0;
  int* flag_ = nullptr;
  int* flag_host_ = nullptr;  // pinned
};

/// The context of device `device`; throws ember::Error unless it was registered.
DeviceContext& context(int device);
/// The context of the device a TensorArg lives on; also makes it current.
DeviceContext& context_of(const TensorArg& a);
/// Adds a device's context (register_cuda()).
void add_context(DeviceContext* ctx);

/// A scratch device buffer from the caching allocator, returned when it goes out of scope
/// (safe while kernels still use it: the block is only reused by later work on the stream).
class TempBuffer {
 public:
  TempBuffer(DeviceContext& ctx, size_t bytes);
  ~TempBuffer();
  TempBuffer(const TempBuffer&) = delete;
  TempBuffer& operator=(const TempBuffer&) = delete;
  void* get() const;
  DeviceBuffer* handle() const { return buf_; }
  /// A contiguous TensorArg over the buffer with the given sizes and dtype.
  TensorArg arg(const Shape& sizes, DType dtype) const;

 private:
  DeviceContext& ctx_;
  DeviceBuffer* buf_;
  size_t bytes_;
};

/// Whether float32 matmul/conv may use TF32 tensor cores: EMBER_ALLOW_TF32=1 (read once).
/// Off by default so that float32 results match the CPU to float32 precision.
bool tf32_allowed();

}  // namespace ember::cuda
