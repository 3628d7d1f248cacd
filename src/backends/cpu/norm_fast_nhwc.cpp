// Batch norm float32 fast paths for channels-last activations: x viewed as (N,C,S) with the
// channel dim contiguous (stride 1) and pixels C apart, i.e. R = N*S dense rows of C floats (the
// layout conv2d leaves under bf16 autocast). Per-channel sums run over fixed blocks of rows
// (kBlocks, so results do not depend on the thread count) in double, SIMD across channels.
// Each returns false, doing nothing, for other inputs; results match the reference kernels of
// norm.cpp to float rounding.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/norm_fast.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"

namespace ember::cpu {
namespace {

constexpr int64_t kBlocks = 64;  // row blocks of the per-channel reductions

/// Dense rows of C contiguous floats: strides (S*C, 1, C) over (N,C,S), C >= 2.
bool nhwc_rows(const TensorArg& a) {
  const int64_t C = a.sizes[1], S = a.sizes[2];
  return a.dtype == DType::Float32 && C >= 2 && a.strides[1] == 1 && (S == 1 || a.strides[2] == C) &&
         (a.sizes[0] == 1 || a.strides[0] == S * C);
}

/// Per-channel sums over all rows of f(row pointer(s), c) accumulated by `row`, reduced in
/// a fixed order: row(r, acc) adds row r's contribution to acc[0..k*C).
template <class Row>
std::vector<double> reduce_rows(int64_t R, int64_t width, Row row) {
  const int64_t blocks = std::min(R, kBlocks);
  std::vector<double> part(static_cast<size_t>(blocks * width), 0.0);
  parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      double* acc = part.data() + blk * width;
      for (int64_t r = blk * R / blocks; r < (blk + 1) * R / blocks; ++r) row(r, acc);
    }
  });
  std::vector<double> total(static_cast<size_t>(width), 0.0);
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t i = 0; i < width; ++i) total[i] += part[blk * width + i];
  return total;
}

/// mean (float) and biased variance (double) per channel, two passes as the NCHW path.
void channel_stats(const float* xp, int64_t R, int64_t C, std::vector<float>& m, std::vector<double>& v) {
  std::vector<double> sum = reduce_rows(R, C, [&](int64_t r, double* acc) {
    const float* p = xp + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) acc[c] += p[c];
  });
  m.resize(C);
  for (int64_t c = 0; c < C; ++c) m[c] = static_cast<float>(sum[c] / static_cast<double>(R));
  const float* mp = m.data();
  std::vector<double> sq = reduce_rows(R, 2 * C, [&](int64_t r, double* acc) {
    const float* p = xp + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      const double d = p[c] - mp[c];
      acc[c] += d * d;
      acc[C + c] += d;
    }
  });
  v.resize(C);
  const double M = static_cast<double>(R);
  for (int64_t c = 0; c < C; ++c) v[c] = std::max(0.0, (sq[c] - sq[C + c] * sq[C + c] / M) / M);
}

/// out = x * scale[c] + shift[c] over all rows.
void apply_rows(const float* xp, float* op, int64_t R, int64_t C, const std::vector<float>& scale,
                const std::vector<float>& shift) {
  const float *sc = scale.data(), *sh = shift.data();
  parallel_for(R, std::max<int64_t>(1, kGrainSize / C), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* p = xp + r * C;
      float* o = op + r * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) o[c] = p[c] * sc[c] + sh[c];
    }
  });
}

}  // namespace

bool bn_stats_nhwc(const TensorArg& x, const TensorArg& mean, const TensorArg& var) {
  if (!nhwc_rows(x)) return false;
  const int64_t C = x.sizes[1], R = x.sizes[0] * x.sizes[2];
  std::vector<float> m;
  std::vector<double> v;
  channel_stats(ptr<const float>(x), R, C, m, v);
  for (int64_t c = 0; c < C; ++c) {
    ptr<float>(mean)[c * mean.strides[0]] = m[c];
    ptr<float>(var)[c * var.strides[0]] = static_cast<float>(v[c]);
  }
  return true;
}

bool bn_apply_nhwc(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* weight,
                   const TensorArg* bias, const TensorArg& out) {
  if (!nhwc_rows(x) || !nhwc_rows(out)) return false;
  const int64_t C = x.sizes[1], R = x.sizes[0] * x.sizes[2];
  const ChannelParam<float> w(weight, 1.0f), bb(bias, 0.0f);
  std::vector<float> scale(C), shift(C);
  for (int64_t c = 0; c < C; ++c) {
    scale[c] = ptr<const float>(rstd)[c * rstd.strides[0]] * w[c];
    shift[c] = bb[c] - ptr<const float>(mean)[c * mean.strides[0]] * scale[c];
  }
  apply_rows(ptr<const float>(x), ptr<float>(out), R, C, scale, shift);
  return true;
}

bool bn_forward_nhwc(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                     const TensorArg& out, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd) {
  if (!nhwc_rows(x) || !nhwc_rows(out)) return false;
  const int64_t C = x.sizes[1], R = x.sizes[0] * x.sizes[2];
  const ChannelParam<float> w(weight, 1.0f), bb(bias, 0.0f);
  std::vector<float> m, scale(C), shift(C);
  std::vector<double> v;
  channel_stats(ptr<const float>(x), R, C, m, v);
  for (int64_t c = 0; c < C; ++c) {
    const float r = static_cast<float>(1.0 / std::sqrt(v[c] + eps));
    ptr<float>(mean)[c * mean.strides[0]] = m[c];
    ptr<float>(var)[c * var.strides[0]] = static_cast<float>(v[c]);
    ptr<float>(rstd)[c * rstd.strides[0]] = r;
    scale[c] = r * w[c];
    shift[c] = bb[c] - m[c] * scale[c];
  }
  apply_rows(ptr<const float>(x), ptr<float>(out), R, C, scale, shift);
  return true;
}

bool bn_backward_nhwc(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                      const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                      const TensorArg* dbias) {
  if (!nhwc_rows(x) || !nhwc_rows(grad) || (dx && !nhwc_rows(*dx))) return false;
  const int64_t C = x.sizes[1], R = x.sizes[0] * x.sizes[2];
  const float *xp = ptr<const float>(x), *gp = ptr<const float>(grad);
  std::vector<float> m(C), r(C);
  for (int64_t c = 0; c < C; ++c) {
    m[c] = ptr<const float>(mean)[c * mean.strides[0]];
    r[c] = ptr<const float>(rstd)[c * rstd.strides[0]];
  }
  const float* mp = m.data();
  const ChannelParam<float> w(weight, 1.0f);
  std::vector<double> sums(static_cast<size_t>(2 * C), 0.0);  // sum g, sum g*(x - m)
  if (training || dweight || dbias)
    sums = reduce_rows(R, 2 * C, [&](int64_t row, double* acc) {
      const float *xr = xp + row * C, *gr = gp + row * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        acc[c] += gr[c];
        acc[C + c] += static_cast<double>(gr[c]) * (xr[c] - mp[c]);
      }
    });
  const double M = static_cast<double>(R);
  std::vector<float> a(C), bx(C), c0(C);
  for (int64_t c = 0; c < C; ++c) {
    const double sum_g = sums[c], sum_gxhat = sums[C + c] * r[c];
    if (dweight) ptr<float>(*dweight)[c * dweight->strides[0]] = static_cast<float>(sum_gxhat);
    if (dbias) ptr<float>(*dbias)[c * dbias->strides[0]] = static_cast<float>(sum_g);
    // training: dx = k*g - k/M*sum_g - k*r/M*sum_gxhat*(x - m); eval: dx = k*g.
    const double k = static_cast<double>(w[c]) * r[c];
    a[c] = static_cast<float>(k);
    bx[c] = training ? static_cast<float>(-k * r[c] * sum_gxhat / M) : 0.0f;
    c0[c] = training ? static_cast<float>(-k * sum_g / M) : 0.0f;
  }
  if (!dx) return true;
  float* dp = ptr<float>(*dx);
  const float *ap = a.data(), *bp = bx.data(), *cp = c0.data();
  parallel_for(R, std::max<int64_t>(1, kGrainSize / C), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const float *xr = xp + row * C, *gr = gp + row * C;
      float* d = dp + row * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) d[c] = ap[c] * gr[c] + bp[c] * (xr[c] - mp[c]) + cp[c];
    }
  });
  return true;
}

}  // namespace ember::cpu
