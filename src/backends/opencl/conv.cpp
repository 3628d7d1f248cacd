// OpenCL conv2d kernels: im2col + CLBlast GEMM, one GEMM per group over a chunk of images
// (columns laid out (C*kH*kW, images, OH*OW), so a chunk is one wide GEMM, not one per image).
// Forward: out = W_g x col_g, permuted to NCHW with the bias added. Input gradient: columns =
// W_g^T x grad_out_g, then col2im (each work-item owns an input row: no atomics). Weight
// gradient: grad_out_g x col_g^T summed over chunks (long K split by gemm_split_k); bias
// gradient: a per-channel reduction. 16-bit dtypes compute in float32 on the device.
// kernels/conv.cl holds the device code.
#include <algorithm>
#include <cstdlib>
#include <optional>

#include "core/kernels/conv.h"
#include "gemm.h"
#include "launch.h"
#include "opencl_backend.h"
#include "temp_buffer.h"

namespace ember::opencl {
namespace {

using kernels::Conv2dGeometry;

/// The most bytes of im2col columns (plus the permuted output) one chunk of images may use:
/// 128 MiB, or $EMBER_OPENCL_CONV_SCRATCH_BYTES (for memory-tight devices, and tests).
int64_t max_scratch_bytes() {
  const char* e = std::getenv("EMBER_OPENCL_CONV_SCRATCH_BYTES");  // read per call: cheap next to a conv
  const long long v = e ? std::atoll(e) : 0;
  return v > 0 ? v : int64_t{128} << 20;
}

/// Host mirror of ConvGeom in kernels/conv.cl.
struct ConvGeom {
  cl_long C, H, W, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, Nc;
};

/// Sizes of one convolution, read from the operands: x (N,C,H,W), w (O,Cg,KH,KW), out (N,O,OH,OW).
struct Dims {
  int64_t N, C, H, W, O, Cg, KH, KW, OH, OW, G, Og, P, KK;
  Dims(const TensorArg& x, const TensorArg& w, const TensorArg& out, int64_t groups)
      : N(x.sizes[0]), C(x.sizes[1]), H(x.sizes[2]), W(x.sizes[3]), O(w.sizes[0]), Cg(w.sizes[1]), KH(w.sizes[2]),
        KW(w.sizes[3]), OH(out.sizes[2]), OW(out.sizes[3]), G(groups), Og(O / groups), P(OH * OW), KK(KH * KW) {}
  /// Images per chunk: as many as keep the columns (and the permuted output) under the cap.
  int64_t chunk(DType t) const {
    const int64_t per_image = (C * KK + O) * P * static_cast<int64_t>(dtype_size(t));
    return std::clamp<int64_t>(max_scratch_bytes() / std::max<int64_t>(1, per_image), 1, N);
  }
  ConvGeom geom(const Conv2dGeometry& g, int64_t nc) const {
    return {C, H, W, KH, KW, OH, OW, g.stride[0], g.stride[1], g.padding[0], g.padding[1], g.dilation[0],
            g.dilation[1], nc};
  }
};

void check_groups(const Dims& d, const char* op) {
  EMBER_CHECK(d.G >= 1 && d.C % d.G == 0 && d.O % d.G == 0 && d.Cg * d.G == d.C, op, ": groups ", d.G,
              " do not divide channels ", d.C, " and ", d.O);
}

GemmOperand mat(const TensorArg& t, int64_t offset, int64_t ld, bool trans = false) {
  return GemmOperand{buffer_of(t).mem, static_cast<size_t>(t.offset + offset), static_cast<size_t>(ld), trans};
}

/// A row count of a kernel launch as the kernels index it (int). Requires n < 2^31.
cl_int rows_of(int64_t n) {
  EMBER_CHECK(n < (int64_t{1} << 31), "conv2d: ", n, " rows in one launch are more than the OpenCL kernels index");
  return static_cast<cl_int>(n);
}

/// col (C*KK, nc*P) = im2col of images [n0, n0+nc) of x.
void im2col(const TensorArg& x, int64_t n0, const ConvGeom& cg, const TensorArg& col) {
  ClDevice& dev = device_of(x);
  const cl_int rows = rows_of(cg.C * cg.KH * cg.KW * cg.Nc * cg.OH);
  Launch(dev, dev.kernel("conv", {{"T", x.dtype}}, "im2col"))
      .buffer(x).value<cl_long>(x.offset + n0 * cg.C * cg.H * cg.W).buffer(col).raw(&cg, sizeof cg)
      .value(rows).run(static_cast<size_t>(rows));
}

/// dst (O, nc, P) = images [n0, n0+nc) of src (N, O, P).
void to_onp(const TensorArg& src, int64_t n0, const Dims& d, int64_t nc, const TensorArg& dst) {
  ClDevice& dev = device_of(src);
  const cl_int rows = rows_of(d.O * nc);
  Launch(dev, dev.kernel("conv", {{"T", src.dtype}}, "nop_to_onp"))
      .buffer(src).value<cl_long>(src.offset + n0 * d.O * d.P).buffer(dst)
      .value<cl_int>(rows_of(d.O)).value<cl_int>(rows_of(nc)).value<cl_int>(rows_of(d.P)).run(static_cast<size_t>(rows));
}

// ---- float32 / float64 ----------------------------------------------------------------------

void forward_float(const TensorArg& x, const TensorArg& w, const TensorArg* b, const TensorArg& out,
                   const Conv2dGeometry& g) {
  ClDevice& dev = device_of(out);
  const Dims d(x, w, out, g.groups);
  const int64_t chunk = d.chunk(x.dtype), CgKK = d.Cg * d.KK;
  for (int64_t n0 = 0; n0 < d.N; n0 += chunk) {
    const int64_t nc = std::min(chunk, d.N - n0), cols = nc * d.P;
    const ConvGeom cg = d.geom(g, nc);
    TempTensor col(dev, x.dtype, {d.C * d.KK, cols}), ot(dev, x.dtype, {d.O, cols});
    im2col(x, n0, cg, col.arg());
    for (int64_t gi = 0; gi < d.G; ++gi)  // ot_g (Og, cols) = W_g (Og, CgKK) x col_g (CgKK, cols)
      gemm(dev, x.dtype, {static_cast<size_t>(d.Og), static_cast<size_t>(cols), static_cast<size_t>(CgKK)}, 1.0,
           mat(w, gi * d.Og * CgKK, CgKK), mat(col.arg(), gi * CgKK * cols, cols), 0.0,
           mat(ot.arg(), gi * d.Og * cols, cols));
    Launch l(dev, dev.kernel("conv", {{"T", x.dtype}}, "onp_to_nop"));
    l.buffer(ot.arg()).buffer(out).value<cl_long>(out.offset + n0 * d.O * d.P);
    if (b) l.buffer(*b).value<cl_long>(b->offset).value<cl_int>(1);
    else l.buffer(out).value<cl_long>(0).value<cl_int>(0);
    l.value<cl_int>(rows_of(d.O)).value<cl_int>(rows_of(nc)).value<cl_int>(rows_of(d.P))
        .run(static_cast<size_t>(rows_of(d.O * nc)));
  }
}

void backward_input_float(const TensorArg& go, const TensorArg& w, const TensorArg& gx, const Conv2dGeometry& g) {
  ClDevice& dev = device_of(gx);
  const Dims d(gx, w, go, g.groups);
  const int64_t chunk = d.chunk(gx.dtype), CgKK = d.Cg * d.KK;
  for (int64_t n0 = 0; n0 < d.N; n0 += chunk) {
    const int64_t nc = std::min(chunk, d.N - n0), cols = nc * d.P;
    const ConvGeom cg = d.geom(g, nc);
    TempTensor gt(dev, gx.dtype, {d.O, cols}), gcol(dev, gx.dtype, {d.C * d.KK, cols});
    to_onp(go, n0, d, nc, gt.arg());
    for (int64_t gi = 0; gi < d.G; ++gi)  // gcol_g (CgKK, cols) = W_g^T (CgKK, Og) x gt_g (Og, cols)
      gemm(dev, gx.dtype, {static_cast<size_t>(CgKK), static_cast<size_t>(cols), static_cast<size_t>(d.Og)}, 1.0,
           mat(w, gi * d.Og * CgKK, CgKK, true), mat(gt.arg(), gi * d.Og * cols, cols), 0.0,
           mat(gcol.arg(), gi * CgKK * cols, cols));
    const cl_int rows = rows_of(nc * d.C * d.H);
    Launch(dev, dev.kernel("conv", {{"T", gx.dtype}}, "col2im"))
        .buffer(gcol.arg()).buffer(gx).value<cl_long>(gx.offset + n0 * d.C * d.H * d.W).raw(&cg, sizeof cg)
        .value(rows).run(static_cast<size_t>(rows));
  }
}

void backward_weight_float(const TensorArg& go, const TensorArg& x, const TensorArg& gw, const TensorArg* gb,
                           const Conv2dGeometry& g) {
  ClDevice& dev = device_of(gw);
  const Dims d(x, gw, go, g.groups);
  const int64_t chunk = d.chunk(x.dtype), CgKK = d.Cg * d.KK;
  for (int64_t n0 = 0; n0 < d.N; n0 += chunk) {
    const int64_t nc = std::min(chunk, d.N - n0), cols = nc * d.P;
    TempTensor col(dev, x.dtype, {d.C * d.KK, cols}), gt(dev, x.dtype, {d.O, cols});
    im2col(x, n0, d.geom(g, nc), col.arg());
    to_onp(go, n0, d, nc, gt.arg());
    for (int64_t gi = 0; gi < d.G; ++gi)  // gw_g (Og, CgKK) (+)= gt_g (Og, cols) x col_g^T (cols, CgKK)
      gemm_split_k(dev, x.dtype, {static_cast<size_t>(d.Og), static_cast<size_t>(CgKK), static_cast<size_t>(cols)}, 1.0,
           mat(gt.arg(), gi * d.Og * cols, cols), mat(col.arg(), gi * CgKK * cols, cols, true), n0 == 0 ? 0.0 : 1.0,
           mat(gw, gi * d.Og * CgKK, CgKK));
  }
  if (gb) {
    const size_t local = std::min<size_t>(256, dev.max_work_group());  // Launch::run's work-group
    Launch(dev, dev.kernel("conv", {{"T", go.dtype}}, "bias_grad"))
        .buffer(go).value<cl_long>(go.offset).buffer(*gb).value<cl_long>(gb->offset)
        .value<cl_long>(d.N).value<cl_long>(d.O).value<cl_long>(d.P).run(static_cast<size_t>(d.O) * local);
  }
}

// ---- registered kernels: dtype checks, float64 fallback, 16-bit through float32 ---------------

bool is_native(DType t) { return t == DType::Float32 || t == DType::Float64; }

void conv2d_forward(const TensorArg& x, const TensorArg& w, const TensorArg* b, const TensorArg& out,
                    const Conv2dGeometry& g) {
  EMBER_CHECK(is_floating(x.dtype) && w.dtype == x.dtype && out.dtype == x.dtype && (!b || b->dtype == x.dtype),
              "conv2d kernel: operands must share one floating dtype");
  check_groups(Dims(x, w, out, g.groups), "conv2d");
  if (out.numel() == 0) return;
  ClDevice& dev = device_of(out);
  if (is_native(x.dtype)) return forward_float(x, w, b, out, g);
  DenseCopy fx(x, DType::Float32), fw(w, DType::Float32);
  std::optional<DenseCopy> fb;
  if (b) fb.emplace(*b, DType::Float32);
  TempTensor fo(dev, DType::Float32, out.sizes);
  forward_float(fx.arg, fw.arg, fb ? &fb->arg : nullptr, fo.arg(), g);
  device_copy(fo.arg(), out);
}

void conv2d_backward_input(const TensorArg& go, const TensorArg& w, const TensorArg& gx, const Conv2dGeometry& g) {
  EMBER_CHECK(is_floating(go.dtype) && w.dtype == go.dtype && gx.dtype == go.dtype,
              "conv2d backward kernel: operands must share one floating dtype");
  check_groups(Dims(gx, w, go, g.groups), "conv2d backward");
  if (gx.numel() == 0) return;
  ClDevice& dev = device_of(gx);
  if (is_native(go.dtype)) return backward_input_float(go, w, gx, g);
  DenseCopy fgo(go, DType::Float32), fw(w, DType::Float32);
  TempTensor fgx(dev, DType::Float32, gx.sizes);
  backward_input_float(fgo.arg, fw.arg, fgx.arg(), g);
  device_copy(fgx.arg(), gx);
}

void conv2d_backward_weight(const TensorArg& go, const TensorArg& x, const TensorArg& gw, const TensorArg* gb,
                            const Conv2dGeometry& g) {
  EMBER_CHECK(is_floating(go.dtype) && x.dtype == go.dtype && gw.dtype == go.dtype && (!gb || gb->dtype == go.dtype),
              "conv2d backward kernel: operands must share one floating dtype");
  check_groups(Dims(x, gw, go, g.groups), "conv2d backward");
  if (gw.numel() == 0) return;
  ClDevice& dev = device_of(gw);
  if (is_native(go.dtype)) return backward_weight_float(go, x, gw, gb, g);
  DenseCopy fgo(go, DType::Float32), fx(x, DType::Float32);
  TempTensor fgw(dev, DType::Float32, gw.sizes);
  std::optional<TempTensor> fgb;
  if (gb) fgb.emplace(dev, DType::Float32, gb->sizes);
  backward_weight_float(fgo.arg, fx.arg, fgw.arg(), fgb ? &fgb->arg() : nullptr, g);
  device_copy(fgw.arg(), gw);
  if (gb) device_copy(fgb->arg(), *gb);
}

}  // namespace

void register_conv_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kConv2dForward, conv2d_forward, computes);
  t.set(kernels::kConv2dBackwardInput, conv2d_backward_input, computes);
  t.set(kernels::kConv2dBackwardWeight, conv2d_backward_weight, computes);
}

}  // namespace ember::opencl
