// OpenCL pooling kernels (max with indices, average, adaptive average, and their backwards)
// over contiguous NCHW operands of any floating dtype; the device code is kernels/pool.cl.
// Forwards run per output row; backwards per input row (float32/float64) or per input element
// (16-bit dtypes), never scattering with atomics, so results are deterministic.
#include <string>

#include "core/kernels/pool.h"
#include "launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {

using kernels::Pool2dGeometry;

/// Host mirror of PoolGeom in kernels/pool.cl.
struct PoolGeom {
  cl_long H, W, OH, OW, kh, kw, sh, sw, ph, pw, rows;
};

/// in (N,C,H,W), out (N,C,OH,OW); rows = the rows (planes x height) of `cover`, the operand
/// the launch walks. Requires fewer than 2^31 rows (the kernels index rows as int).
PoolGeom geom(const TensorArg& in, const TensorArg& out, const Pool2dGeometry& g, const TensorArg& cover) {
  const int64_t rows = cover.sizes[0] * cover.sizes[1] * cover.sizes[2];
  EMBER_CHECK(rows < (int64_t{1} << 31), "pooling: ", shape_str(cover.sizes), " has too many rows for one launch");
  return {in.sizes[2], in.sizes[3], out.sizes[2], out.sizes[3], g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
          g.padding[0], g.padding[1], rows};
}

/// Backward kernels: per input row for float32/float64, per input element for 16-bit dtypes.
bool narrow(DType t) { return t == DType::Float16 || t == DType::BFloat16; }
std::string backward_name(const char* base, DType t) { return std::string(base) + (narrow(t) ? "_gather" : "_rows"); }
size_t backward_items(const PoolGeom& pg, DType t) {
  return static_cast<size_t>(narrow(t) ? pg.rows * pg.W : pg.rows);
}

void check_shapes(const char* op, const TensorArg& in, const TensorArg& out) {
  EMBER_CHECK(in.dim() == 4 && out.dim() == 4 && in.sizes[0] == out.sizes[0] && in.sizes[1] == out.sizes[1], op,
              ": expected (N,C,H,W) -> (N,C,OH,OW), got ", shape_str(in.sizes), " and ", shape_str(out.sizes));
  EMBER_CHECK(is_floating(in.dtype) && out.dtype == in.dtype, op, ": operands must share one floating dtype, got ",
              dtype_name(in.dtype), " and ", dtype_name(out.dtype));
  EMBER_CHECK(in.contiguous() && out.contiguous(), op, ": operands must be contiguous");
}

void check_window(const char* op, const Pool2dGeometry& g) {
  for (int i = 0; i < 2; ++i)
    EMBER_CHECK(g.kernel[i] >= 1 && g.stride[i] >= 1 && g.padding[i] >= 0 && 2 * g.padding[i] <= g.kernel[i], op,
                ": invalid window (kernel ", g.kernel[i], ", stride ", g.stride[i], ", padding ", g.padding[i], ")");
}

/// Sets 1/(kh*kw) in the program's arithmetic type (double for float64, float otherwise),
/// computed on the host as the CPU computes it.
void set_inv(Launch& l, DType t, const Pool2dGeometry& g) {
  const int64_t k = g.kernel[0] * g.kernel[1];
  if (t == DType::Float64) l.value<cl_double>(1.0 / static_cast<double>(k));
  else l.value<cl_float>(1.0f / static_cast<float>(k));
}


void max_pool2d_forward(const TensorArg& x, const TensorArg& out, const TensorArg* indices, const Pool2dGeometry& g) {
  check_shapes("max_pool2d", x, out);
  check_window("max_pool2d", g);
  EMBER_CHECK(!indices || (indices->dtype == DType::Int64 && indices->sizes == out.sizes && indices->contiguous()),
              "max_pool2d: indices must be a contiguous int64 tensor shaped like the output");
  if (out.numel() == 0) return;
  ClDevice& dev = device_of(out);
  const PoolGeom pg = geom(x, out, g, out);
  Launch l(dev, dev.kernel("pool", {{"T", x.dtype}}, "max_pool_forward"));
  l.tensor(x).tensor(out);
  if (indices) l.tensor(*indices).value<cl_int>(1);
  else l.buffer(out).value<cl_long>(0).value<cl_int>(0);
  l.raw(&pg, sizeof pg).run(static_cast<size_t>(pg.rows));
}

void max_pool2d_backward(const TensorArg& go, const TensorArg& indices, const TensorArg& gx, const Pool2dGeometry& g) {
  check_shapes("max_pool2d backward", gx, go);
  check_window("max_pool2d backward", g);
  EMBER_CHECK(indices.dtype == DType::Int64 && indices.sizes == go.sizes && indices.contiguous(),
              "max_pool2d backward: indices must be a contiguous int64 tensor shaped like grad_out");
  if (gx.numel() == 0) return;
  ClDevice& dev = device_of(gx);
  const PoolGeom pg = geom(gx, go, g, gx);
  Launch(dev, dev.kernel("pool", {{"T", gx.dtype}}, backward_name("max_pool_backward", gx.dtype).c_str()))
      .tensor(go).tensor(indices).tensor(gx).raw(&pg, sizeof pg).run(backward_items(pg, gx.dtype));
}

void avg_pool2d_forward(const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g) {
  check_shapes("avg_pool2d", x, out);
  check_window("avg_pool2d", g);
  if (out.numel() == 0) return;
  ClDevice& dev = device_of(out);
  const PoolGeom pg = geom(x, out, g, out);
  Launch l(dev, dev.kernel("pool", {{"T", x.dtype}}, "avg_pool_forward"));
  l.tensor(x).tensor(out);
  set_inv(l, x.dtype, g);
  l.raw(&pg, sizeof pg).run(static_cast<size_t>(pg.rows));
}

void avg_pool2d_backward(const TensorArg& go, const TensorArg& gx, const Pool2dGeometry& g) {
  check_shapes("avg_pool2d backward", gx, go);
  check_window("avg_pool2d backward", g);
  if (gx.numel() == 0) return;
  ClDevice& dev = device_of(gx);
  const PoolGeom pg = geom(gx, go, g, gx);
  Launch l(dev, dev.kernel("pool", {{"T", gx.dtype}}, backward_name("avg_pool_backward", gx.dtype).c_str()));
  l.tensor(go).tensor(gx);
  set_inv(l, gx.dtype, g);
  l.raw(&pg, sizeof pg).run(backward_items(pg, gx.dtype));
}

void adaptive_avg_pool2d_forward(const TensorArg& x, const TensorArg& out) {
  check_shapes("adaptive_avg_pool2d", x, out);
  if (out.numel() == 0) return;
  EMBER_CHECK(x.sizes[2] >= 1 && x.sizes[3] >= 1, "adaptive_avg_pool2d: empty input plane ", shape_str(x.sizes));
  ClDevice& dev = device_of(out);
  const PoolGeom pg = geom(x, out, Pool2dGeometry{}, out);
  Launch(dev, dev.kernel("pool", {{"T", x.dtype}}, "adaptive_avg_forward"))
      .tensor(x).tensor(out).raw(&pg, sizeof pg).run(static_cast<size_t>(pg.rows));
}

void adaptive_avg_pool2d_backward(const TensorArg& go, const TensorArg& gx) {
  check_shapes("adaptive_avg_pool2d backward", gx, go);
  if (gx.numel() == 0) return;
  ClDevice& dev = device_of(gx);
  const PoolGeom pg = geom(gx, go, Pool2dGeometry{}, gx);
  Launch(dev, dev.kernel("pool", {{"T", gx.dtype}}, backward_name("adaptive_avg_backward", gx.dtype).c_str()))
      .tensor(go).tensor(gx).raw(&pg, sizeof pg).run(backward_items(pg, gx.dtype));
}

}  // namespace

void register_pool_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kMaxPool2dForward, max_pool2d_forward, computes);
  t.set(kernels::kMaxPool2dBackward, max_pool2d_backward, computes);
  t.set(kernels::kAvgPool2dForward, avg_pool2d_forward, computes);
  t.set(kernels::kAvgPool2dBackward, avg_pool2d_backward, computes);
  t.set(kernels::kAdaptiveAvgPool2dForward, adaptive_avg_pool2d_forward, computes);
  t.set(kernels::kAdaptiveAvgPool2dBackward, adaptive_avg_pool2d_backward, computes);
}

}  // namespace ember::opencl
