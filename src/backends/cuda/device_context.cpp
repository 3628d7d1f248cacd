// Per-device CUDA state: lazy initialisation of the stream and library handles, workspace,
// the device-side error flag, temporary buffers and the error helpers.
#include "backends/cuda/device_context.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cudnn.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "backends/cuda/allocator.h"

namespace ember::cuda {

void fail_cuda(cudaError_t e, const char* what) {
  cudaGetLastError();  // clear a non-sticky error so later calls are not blamed for it
  EMBER_FAIL("cuda: ", what, " failed: ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ")");
}

void check_launch(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) EMBER_FAIL("cuda: launching ", what, " failed: ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ")");
}

namespace {
constexpr int kMaxDevices = 64;
std::array<std::atomic<DeviceContext*>, kMaxDevices> g_contexts{};

/// Makes `device` current on this thread (cached: cudaSetDevice is not free).
void make_current(int device) {
  thread_local int current = -1;
  if (current == device) return;
  EMBER_CUDA_CHECK(cudaSetDevice(device), "selecting the device");
  current = device;
}
}  // namespace

void add_context(DeviceContext* ctx) {
  EMBER_CHECK(ctx->device() >= 0 && ctx->device() < kMaxDevices, "cuda: device index ", ctx->device(), " out of range");
  g_contexts[ctx->device()].store(ctx);
}

DeviceContext& context(int device) {
  DeviceContext* c = device >= 0 && device < kMaxDevices ? g_contexts[device].load() : nullptr;
  EMBER_CHECK(c != nullptr, "cuda:", device, " is not a registered CUDA device");
  return *c;
}

DeviceContext& context_of(const TensorArg& a) {
  EMBER_CHECK(a.data != nullptr, "cuda: a kernel operand has no device buffer");
  DeviceContext& c = context(buffer_of(a)->device);
  c.stream();  // current + initialised
  return c;
}

DeviceContext::DeviceContext(int device) : device_(device) {
  alloc_ = new CachingDeviceAllocator(*this);  // never freed (see the class comment)
}

void DeviceContext::init() {
  make_current(device_);
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, device_), "querying the SM count");
  EMBER_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "creating the device stream");
}

cudaStream_t DeviceContext::stream() {
  std::call_once(once_, [this] { init(); });
  make_current(device_);
  return stream_;
}

cublasHandle_t DeviceContext::cublas() {
  cudaStream_t s = stream();
  std::lock_guard<std::mutex> lock(mu_);
  if (!cublas_) {
    cublasStatus_t st = cublasCreate(&cublas_);
    EMBER_CHECK(st == CUBLAS_STATUS_SUCCESS, "cuda:", device_, ": cublasCreate failed: ", cublasGetStatusString(st));
    cublasSetStream(cublas_, s);
    cublasSetPointerMode(cublas_, CUBLAS_POINTER_MODE_HOST);
  }
  return cublas_;
}

cublasLtHandle_t DeviceContext::cublas_lt() {
  stream();
  std::lock_guard<std::mutex> lock(mu_);
  if (!lt_) {
    cublasStatus_t st = cublasLtCreate(&lt_);
    EMBER_CHECK(st == CUBLAS_STATUS_SUCCESS, "cuda:", device_, ": cublasLtCreate failed: ", cublasGetStatusString(st));
  }
  return lt_;
}

cudnnHandle_t DeviceContext::cudnn() {
  cudaStream_t s = stream();
  std::lock_guard<std::mutex> lock(mu_);
  if (!cudnn_) {
    cudnnStatus_t st = cudnnCreate(&cudnn_);
    EMBER_CHECK(st == CUDNN_STATUS_SUCCESS, "cuda:", device_, ": cudnnCreate failed: ", cudnnGetErrorString(st));
    cudnnSetStream(cudnn_, s);
  }
  return cudnn_;
}

void* DeviceContext::workspace(size_t bytes) {
  stream();
  std::lock_guard<std::mutex> lock(mu_);
  if (bytes > ws_bytes_) {
    if (ws_) alloc_->deallocate(ws_, ws_bytes_);
    ws_ = nullptr;
    ws_bytes_ = 0;
    ws_ = alloc_->allocate(bytes);
    ws_bytes_ = bytes;
  }
  return ws_ ? static_cast<DeviceBuffer*>(ws_)->ptr : nullptr;
}

int* DeviceContext::error_flag() {
  cudaStream_t s = stream();
  std::lock_guard<std::mutex> lock(mu_);
  if (!flag_) {
    EMBER_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&flag_), sizeof(int)), "allocating the error flag");
    EMBER_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&flag_host_), sizeof(int), cudaHostAllocDefault), "allocating the error flag");
    EMBER_CUDA_CHECK(cudaMemsetAsync(flag_, 0, sizeof(int), s), "clearing the error flag");
  }
  return flag_;
}

int DeviceContext::read_error_flag() {
  int* f = error_flag();
  cudaStream_t s = stream();
  EMBER_CUDA_CHECK(cudaMemcpyAsync(flag_host_, f, sizeof(int), cudaMemcpyDeviceToHost, s), "reading the error flag");
  EMBER_CUDA_CHECK(cudaStreamSynchronize(s), "waiting for the device");
  const int v = *flag_host_;
  if (v != 0) EMBER_CUDA_CHECK(cudaMemsetAsync(f, 0, sizeof(int), s), "clearing the error flag");
  return v;
}

TempBuffer::TempBuffer(DeviceContext& ctx, size_t bytes)
    : ctx_(ctx), buf_(static_cast<DeviceBuffer*>(ctx.allocator().allocate(bytes))), bytes_(bytes) {}
TempBuffer::~TempBuffer() { ctx_.allocator().deallocate(buf_, bytes_); }
void* TempBuffer::get() const { return buf_->ptr; }
TensorArg TempBuffer::arg(const Shape& sizes, DType dtype) const {
  return TensorArg{buf_, 0, dtype, sizes, contiguous_strides(sizes)};
}

bool tf32_allowed() {
  static const bool allowed = [] {
    const char* v = std::getenv("EMBER_ALLOW_TF32");
    return v && std::strcmp(v, "0") != 0 && *v != '\0';
  }();
  return allowed;
}

}  // namespace ember::cuda
