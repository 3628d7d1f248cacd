// CUDA pooling: cuDNN for max pooling without indices and for average pooling forward; two
// kernels for the rest: a forward with one thread per output element, and every backward in
// gather form (one thread per input element sums the windows covering it in the CPU's order,
// so no atomics). The per-element arithmetic is core/kernel_math.h's (tested on the CPU).
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/device_types.cuh"
#include "backends/cuda/pool.cuh"

namespace ember::cuda {
namespace {

using kernels::Pool2dGeometry;

/// Planes (N*C) and the geometry of each.
struct PoolDims {
  int64_t planes;
  math::PoolGeom g;
};
PoolDims dims_of(const TensorArg& in, const TensorArg& out, const Pool2dGeometry& g) {
  return {in.sizes[0] * in.sizes[1],
          {in.sizes[2], in.sizes[3], out.sizes[2], out.sizes[3], g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
           g.padding[0], g.padding[1]}};
}

/// One thread per output element; kind 0 max (+indices), 1 average, 2 adaptive average.
template <class T>
__global__ void pool_forward_kernel(const T* x, T* out, int64_t* idx, PoolDims d, int kind) {
  using A = acc_t<T>;
  const math::PoolGeom& g = d.g;
  const int64_t plane_out = g.OH * g.OW;
  EMBER_GRID_STRIDE(o, d.planes * plane_out) {
    const int64_t pl = o / plane_out, po = o % plane_out, oh = po / g.OW, ow = po % g.OW;
    const T* xp = x + pl * g.H * g.W;
    auto at = [xp](int64_t k) { return to_acc(xp[k]); };
    if (kind == 0) {
      A best;
      int64_t best_i;
      math::max_pool_at(g, oh, ow, at, best, best_i);
      out[o] = from_acc<T>(best);
      if (idx) idx[o] = best_i;
    } else if (kind == 1) {
      out[o] = from_acc<T>(math::avg_pool_at<A>(g, oh, ow, at));
    } else {
      out[o] = from_acc<T>(math::adaptive_avg_at<A>(g, oh, ow, at));
    }
  }
}

/// One thread per input element, gathering from the windows that cover it (same kinds).
template <class T>
__global__ void pool_backward_kernel(const T* go, const int64_t* idx, T* gx, PoolDims d, int kind) {
  using A = acc_t<T>;
  const math::PoolGeom& g = d.g;
  const int64_t plane_in = g.H * g.W, plane_out = g.OH * g.OW;
  EMBER_GRID_STRIDE(i, d.planes * plane_in) {
    const int64_t pl = i / plane_in, p = i % plane_in, h = p / g.W, w = p % g.W;
    const T* gp = go + pl * plane_out;
    auto grad = [gp](int64_t k) { return to_acc(gp[k]); };
    A v;
    if (kind == 0) {
      const int64_t* ip = idx + pl * plane_out;
      v = math::max_pool_grad_at<A>(g, h, w, grad, [ip](int64_t k) { return ip[k]; });
    } else if (kind == 1) {
      v = math::avg_pool_grad_at<A>(g, h, w, grad);
    } else {
      v = math::adaptive_avg_grad_at<A>(g, h, w, grad);
    }
    gx[i] = from_acc<T>(v);
  }
}

void launch_forward(const TensorArg& x, const TensorArg& out, const TensorArg* indices, const Pool2dGeometry& g, int kind,
                    const char* op) {
  DeviceContext& ctx = context_of(out);
  const PoolDims d = dims_of(x, out, g);
  EMBER_CUDA_DISPATCH_FLOATING(x.dtype, op, {
    pool_forward_kernel<scalar_t><<<grid_for(out.numel(), kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(x), device_ptr<scalar_t>(out), indices ? device_ptr<int64_t>(*indices) : nullptr, d,
        kind);
  });
  check_launch(op);
}

void launch_backward(const TensorArg& go, const TensorArg* indices, const TensorArg& gx, const Pool2dGeometry& g, int kind,
                     const char* op) {
  DeviceContext& ctx = context_of(gx);
  const PoolDims d = dims_of(gx, go, g);
  EMBER_CUDA_DISPATCH_FLOATING(gx.dtype, op, {
    pool_backward_kernel<scalar_t><<<grid_for(gx.numel(), kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(go), indices ? device_ptr<const int64_t>(*indices) : nullptr,
        device_ptr<scalar_t>(gx), d, kind);
  });
  check_launch(op);
}

/// cuDNN pooling forward; false (nothing done) when cuDNN is switched off or declines.
bool cudnn_pool_forward(cudnnPoolingMode_t mode, const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g) {
  if (!cudnn_optional_paths()) return false;
  const char* op = "pooling";
  DeviceContext& ctx = context_of(out);
  PoolDesc pd;
  if (cudnnSetPooling2dDescriptor(pd.d, mode, CUDNN_PROPAGATE_NAN, to_int(g.kernel[0], op), to_int(g.kernel[1], op),
                                  to_int(g.padding[0], op), to_int(g.padding[1], op), to_int(g.stride[0], op),
                                  to_int(g.stride[1], op)) != CUDNN_STATUS_SUCCESS)
    return false;
  TensorDesc xd, yd;
  xd.set4d(x.dtype, x.sizes[0], x.sizes[1], x.sizes[2], x.sizes[3], op);
  yd.set4d(out.dtype, out.sizes[0], out.sizes[1], out.sizes[2], out.sizes[3], op);
  int n = 0, c = 0, h = 0, w = 0;
  if (cudnnGetPooling2dForwardOutputDim(pd.d, xd.d, &n, &c, &h, &w) != CUDNN_STATUS_SUCCESS || h != out.sizes[2] ||
      w != out.sizes[3])
    return false;
  const CudnnScale k(x.dtype);
  const cudnnStatus_t st = cudnnPoolingForward(ctx.cudnn(), pd.d, k.one(), xd.d, device_ptr_bytes(x), k.zero(), yd.d,
                                               device_ptr_bytes(out));
  if (st == CUDNN_STATUS_NOT_SUPPORTED || st == CUDNN_STATUS_BAD_PARAM) return false;
  check_cudnn(st, op);
  return true;
}

}  // namespace

void max_pool2d_forward(const TensorArg& x, const TensorArg& out, const TensorArg* indices, const Pool2dGeometry& g) {
  if (out.numel() == 0) return;
  if (!indices && cudnn_pool_forward(CUDNN_POOLING_MAX, x, out, g)) return;
  launch_forward(x, out, indices, g, 0, "max_pool2d");
}

void max_pool2d_backward(const TensorArg& go, const TensorArg& indices, const TensorArg& gx, const Pool2dGeometry& g) {
  if (gx.numel() == 0) return;
  launch_backward(go, &indices, gx, g, 0, "max_pool2d backward");
}

void avg_pool2d_forward(const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g) {
  if (out.numel() == 0) return;
  if (cudnn_pool_forward(CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, x, out, g)) return;
  launch_forward(x, out, nullptr, g, 1, "avg_pool2d");
}

void avg_pool2d_backward(const TensorArg& go, const TensorArg& gx, const Pool2dGeometry& g) {
  if (gx.numel() == 0) return;
  launch_backward(go, nullptr, gx, g, 1, "avg_pool2d backward");
}

void adaptive_avg_pool2d_forward(const TensorArg& x, const TensorArg& out) {
  if (out.numel() == 0) return;
  launch_forward(x, out, nullptr, Pool2dGeometry{}, 2, "adaptive_avg_pool2d");
}

void adaptive_avg_pool2d_backward(const TensorArg& go, const TensorArg& gx) {
  if (gx.numel() == 0) return;
  launch_backward(go, nullptr, gx, Pool2dGeometry{}, 2, "adaptive_avg_pool2d backward");
}

void register_pool_kernels(KernelTable& t) {
  t.set(kernels::kMaxPool2dForward, max_pool2d_forward);
  t.set(kernels::kMaxPool2dBackward, max_pool2d_backward);
  t.set(kernels::kAvgPool2dForward, avg_pool2d_forward);
  t.set(kernels::kAvgPool2dBackward, avg_pool2d_backward);
  t.set(kernels::kAdaptiveAvgPool2dForward, adaptive_avg_pool2d_forward);
  t.set(kernels::kAdaptiveAvgPool2dBackward, adaptive_avg_pool2d_backward);
}

}  // namespace ember::cuda
