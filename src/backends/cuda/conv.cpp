// cuDNN convolution: descriptors from the operands, algorithms from cuDNN's heuristics (the
// first that runs within the memory we can get, remembered per shape), workspace from the
// device context.
#include "backends/cuda/conv.h"

#include <map>
#include <mutex>
#include <string>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/device_context.h"

namespace ember::cuda {
namespace {

using kernels::Conv2dGeometry;

/// Descriptors of one convolution: x (N,C,H,W), w (O,C/g,kH,kW), y (N,O,OH,OW).
struct ConvSetup {
  TensorDesc x, y, bias;
  FilterDesc w;
  ConvDesc conv;
  std::string key;  // identifies the problem for the algorithm cache
  ConvSetup(const TensorArg& xa, const TensorArg& wa, const TensorArg& ya, const Conv2dGeometry& g, const char* op) {
    const DType t = xa.dtype;
    EMBER_CHECK(wa.dtype == t && ya.dtype == t, op, " (cuda): operands must share one dtype");
    x.set4d(t, xa.sizes[0], xa.sizes[1], xa.sizes[2], xa.sizes[3], op);
    y.set4d(t, ya.sizes[0], ya.sizes[1], ya.sizes[2], ya.sizes[3], op);
    bias.set4d(t, 1, ya.sizes[1], 1, 1, op);
    check_cudnn(cudnnSetFilter4dDescriptor(w.d, cudnn_type(t, op), CUDNN_TENSOR_NCHW, to_int(wa.sizes[0], op),
                                           to_int(wa.sizes[1], op), to_int(wa.sizes[2], op), to_int(wa.sizes[3], op)),
                op);
    const cudnnDataType_t compute = t == DType::Float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    check_cudnn(cudnnSetConvolution2dDescriptor(conv.d, to_int(g.padding[0], op), to_int(g.padding[1], op),
                                                to_int(g.stride[0], op), to_int(g.stride[1], op),
                                                to_int(g.dilation[0], op), to_int(g.dilation[1], op),
                                                CUDNN_CROSS_CORRELATION, compute),
                op);
    check_cudnn(cudnnSetConvolutionGroupCount(conv.d, to_int(g.groups, op)), op);
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;
    if (t == DType::Float32) math = tf32_allowed() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
    else if (t != DType::Float64) math = CUDNN_TENSOR_OP_MATH;
    check_cudnn(cudnnSetConvolutionMathType(conv.d, math), op);
    int n = 0, c = 0, h = 0, w_ = 0;
    check_cudnn(cudnnGetConvolution2dForwardOutputDim(conv.d, x.d, w.d, &n, &c, &h, &w_), op);
    EMBER_CHECK(n == ya.sizes[0] && c == ya.sizes[1] && h == ya.sizes[2] && w_ == ya.sizes[3], op,
                " (cuda): cuDNN computes output [", n, ",", c, ",", h, ",", w_, "] for output ", shape_str(ya.sizes));
    key = std::string(dtype_name(t)) + shape_str(xa.sizes) + shape_str(wa.sizes) + shape_str(ya.sizes);
    for (int64_t v : {g.stride[0], g.stride[1], g.padding[0], g.padding[1], g.dilation[0], g.dilation[1], g.groups})
      key.append(",").append(std::to_string(v));  // (not "," + s: GCC 12 misreports it, -Wrestrict)
  }
};

std::mutex g_cache_mu;
std::map<std::string, int> g_algo_cache;  // "<kind>@<device>:<problem>" -> algorithm that ran

/// Runs run(algo, workspace, bytes) with the cached algorithm, or else with each algorithm of
/// cuDNN's heuristic ranking (query fills perf) until one succeeds, and remembers it.
template <class Perf, int kCount, class Query, class Run>
void run_conv(DeviceContext& ctx, const std::string& key, Query query, Run run, const char* op) {
  int cached = -1;
  {
    std::lock_guard<std::mutex> lock(g_cache_mu);
    auto it = g_algo_cache.find(key);
    if (it != g_algo_cache.end()) cached = it->second;
  }
  if (cached >= 0) {  // run() asks cuDNN for the algorithm's workspace size itself
    check_cudnn(run(cached), op);
    return;
  }
  Perf perf[kCount];
  int returned = 0;
  check_cudnn(query(perf, kCount, &returned), op);
  cudnnStatus_t last = CUDNN_STATUS_NOT_SUPPORTED;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    try {
      last = run(static_cast<int>(perf[i].algo));
    } catch (const Error&) {  // its workspace did not fit: try the next algorithm
      continue;
    }
    if (last == CUDNN_STATUS_SUCCESS) {
      std::lock_guard<std::mutex> lock(g_cache_mu);
      g_algo_cache[key] = static_cast<int>(perf[i].algo);
      return;
    }
  }
  check_cudnn(last, op);
}

}  // namespace

void conv2d_forward(const TensorArg& x, const TensorArg& w, const TensorArg* bias, const TensorArg& out,
                    const Conv2dGeometry& g) {
  const char* op = "conv2d";
  DeviceContext& ctx = context_of(out);
  ConvSetup s(x, w, out, g, op);
  cudnnHandle_t h = ctx.cudnn();
  const CudnnScale k(x.dtype);
  run_conv<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT>(
      ctx, "fwd@" + std::to_string(ctx.device()) + ":" + s.key,
      [&](cudnnConvolutionFwdAlgoPerf_t* p, int n, int* r) {
        return cudnnGetConvolutionForwardAlgorithm_v7(h, s.x.d, s.w.d, s.conv.d, s.y.d, n, r, p);
      },
      [&](int algo) {
        const auto a = static_cast<cudnnConvolutionFwdAlgo_t>(algo);
        size_t bytes = 0;
        cudnnStatus_t st = cudnnGetConvolutionForwardWorkspaceSize(h, s.x.d, s.w.d, s.conv.d, s.y.d, a, &bytes);
        if (st != CUDNN_STATUS_SUCCESS) return st;
        void* ws = ctx.workspace(bytes);
        return cudnnConvolutionForward(h, k.one(), s.x.d, device_ptr_bytes(x), s.w.d, device_ptr_bytes(w), s.conv.d, a,
                                       ws, bytes, k.zero(), s.y.d, device_ptr_bytes(out));
      },
      op);
  if (bias)
    check_cudnn(cudnnAddTensor(h, k.one(), s.bias.d, device_ptr_bytes(*bias), k.one(), s.y.d, device_ptr_bytes(out)),
                "conv2d bias");
}

void conv2d_backward_input(const TensorArg& go, const TensorArg& w, const TensorArg& gx, const Conv2dGeometry& g) {
  const char* op = "conv2d backward";
  DeviceContext& ctx = context_of(gx);
  ConvSetup s(gx, w, go, g, op);
  cudnnHandle_t h = ctx.cudnn();
  const CudnnScale k(gx.dtype);
  run_conv<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT>(
      ctx, "bwd_data@" + std::to_string(ctx.device()) + ":" + s.key,
      [&](cudnnConvolutionBwdDataAlgoPerf_t* p, int n, int* r) {
        return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, s.w.d, s.y.d, s.conv.d, s.x.d, n, r, p);
      },
      [&](int algo) {
        const auto a = static_cast<cudnnConvolutionBwdDataAlgo_t>(algo);
        size_t bytes = 0;
        cudnnStatus_t st = cudnnGetConvolutionBackwardDataWorkspaceSize(h, s.w.d, s.y.d, s.conv.d, s.x.d, a, &bytes);
        if (st != CUDNN_STATUS_SUCCESS) return st;
        void* ws = ctx.workspace(bytes);
        return cudnnConvolutionBackwardData(h, k.one(), s.w.d, device_ptr_bytes(w), s.y.d, device_ptr_bytes(go), s.conv.d,
                                            a, ws, bytes, k.zero(), s.x.d, device_ptr_bytes(gx));
      },
      op);
}

void conv2d_backward_weight(const TensorArg& go, const TensorArg& x, const TensorArg& gw, const TensorArg* gb,
                            const Conv2dGeometry& g) {
  const char* op = "conv2d backward";
  DeviceContext& ctx = context_of(gw);
  ConvSetup s(x, gw, go, g, op);
  cudnnHandle_t h = ctx.cudnn();
  const CudnnScale k(x.dtype);
  run_conv<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT>(
      ctx, "bwd_filter@" + std::to_string(ctx.device()) + ":" + s.key,
      [&](cudnnConvolutionBwdFilterAlgoPerf_t* p, int n, int* r) {
        return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, s.x.d, s.y.d, s.conv.d, s.w.d, n, r, p);
      },
      [&](int algo) {
        const auto a = static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo);
        size_t bytes = 0;
        cudnnStatus_t st = cudnnGetConvolutionBackwardFilterWorkspaceSize(h, s.x.d, s.y.d, s.conv.d, s.w.d, a, &bytes);
        if (st != CUDNN_STATUS_SUCCESS) return st;
        void* ws = ctx.workspace(bytes);
        return cudnnConvolutionBackwardFilter(h, k.one(), s.x.d, device_ptr_bytes(x), s.y.d, device_ptr_bytes(go),
                                              s.conv.d, a, ws, bytes, k.zero(), s.w.d, device_ptr_bytes(gw));
      },
      op);
  if (gb)
    check_cudnn(cudnnConvolutionBackwardBias(h, k.one(), s.y.d, device_ptr_bytes(go), k.zero(), s.bias.d,
                                             device_ptr_bytes(*gb)),
                "conv2d backward (bias)");
}

void register_conv_kernels(KernelTable& t) {
  t.set(kernels::kConv2dForward, conv2d_forward);
  t.set(kernels::kConv2dBackwardInput, conv2d_backward_input);
  t.set(kernels::kConv2dBackwardWeight, conv2d_backward_weight);
}

}  // namespace ember::cuda
