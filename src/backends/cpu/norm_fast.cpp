// Batch norm float32 fast paths for x (N,C,S) with a contiguous spatial dim of >= 16 elements
// (the NCHW CNN case). Each (n,c) plane is summed in float with SIMD and the plane sums in
// double; the training forward and the backward handle one channel at a time, so their second
// pass re-reads that channel from cache. Each returns false, doing nothing, for other inputs.
// Results match the reference kernels of norm.cpp to float rounding.
#include "backends/cpu/norm_fast.h"

#include <algorithm>
#include <cmath>

#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"

namespace ember::cpu {
namespace {

/// Planes of at least this many contiguous elements take the fast paths.
constexpr int64_t kMinFastPlane = 16;

bool bn_fast_ok(const TensorArg& a) {
  return a.dtype == DType::Float32 && a.sizes[2] >= kMinFastPlane && a.strides[2] == 1;
}

/// Grain (in channels) for channel-parallel loops over (N,C,S).
int64_t channel_grain(int64_t N, int64_t S) { return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(N * S, 1)); }

float plane_sum(const float* p, int64_t S) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < S; ++i) s += p[i];
  return s;
}

}  // namespace

bool bn_stats_fast(const TensorArg& x, const TensorArg& mean, const TensorArg& var) {
  if (!bn_fast_ok(x)) return false;
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  const float* xp = ptr<const float>(x);
  float *mp = ptr<float>(mean), *vp = ptr<float>(var);
  const double M = static_cast<double>(N * S);
  parallel_for(C, channel_grain(N, S), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      double sum = 0;
      for (int64_t n = 0; n < N; ++n) sum += plane_sum(xp + n * x.strides[0] + c * x.strides[1], S);
      const double m = sum / M;
      const float mf = static_cast<float>(m);
      double sq = 0, sd = 0;  // about mf; sd corrects for mf != m
      for (int64_t n = 0; n < N; ++n) {
        const float* p = xp + n * x.strides[0] + c * x.strides[1];
        float q = 0, t = 0;
#pragma omp simd reduction(+ : q, t)
        for (int64_t i = 0; i < S; ++i) {
          const float d = p[i] - mf;
          q += d * d;
          t += d;
        }
        sq += q, sd += t;
      }
      mp[c * mean.strides[0]] = mf;
      vp[c * var.strides[0]] = static_cast<float>(std::max(0.0, (sq - sd * sd / M) / M));
    }
  });
  return true;
}

bool bn_apply_fast(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* weight,
                   const TensorArg* bias, const TensorArg& out) {
  if (!bn_fast_ok(x) || out.strides[2] != 1) return false;
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  const float *xp = ptr<const float>(x), *mp = ptr<const float>(mean), *rp = ptr<const float>(rstd);
  float* op = ptr<float>(out);
  const ChannelParam<float> w(weight, 1.0f), bb(bias, 0.0f);
  parallel_for(N * C, std::max<int64_t>(1, kGrainSize / S), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const int64_t n = p / C, c = p % C;
      const float scale = rp[c * rstd.strides[0]] * w[c];
      const float shift = bb[c] - mp[c * mean.strides[0]] * scale;
      const float* xr = xp + n * x.strides[0] + c * x.strides[1];
      float* orow = op + n * out.strides[0] + c * out.strides[1];
#pragma omp simd
      for (int64_t s = 0; s < S; ++s) orow[s] = xr[s] * scale + shift;
    }
  });
  return true;
}

/// Training forward for one channel at a time: statistics, then the normalised output while
/// the channel's planes are still in cache.
bool bn_forward_fast(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                     const TensorArg& out, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd) {
  if (!bn_fast_ok(x) || out.strides[2] != 1) return false;
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  const float* xp = ptr<const float>(x);
  float *op = ptr<float>(out), *mp = ptr<float>(mean), *vp = ptr<float>(var), *rp = ptr<float>(rstd);
  const ChannelParam<float> w(weight, 1.0f), bb(bias, 0.0f);
  const double M = static_cast<double>(N * S);
  parallel_for(C, channel_grain(N, S), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      auto plane = [&](int64_t n) { return xp + n * x.strides[0] + c * x.strides[1]; };
      double sum = 0;
      for (int64_t n = 0; n < N; ++n) sum += plane_sum(plane(n), S);
      const float m = static_cast<float>(sum / M);
      double sq = 0, sd = 0;  // about m; sd corrects for the rounding of m
      for (int64_t n = 0; n < N; ++n) {
        const float* p = plane(n);
        float q = 0, t = 0;
#pragma omp simd reduction(+ : q, t)
        for (int64_t i = 0; i < S; ++i) {
          const float d = p[i] - m;
          q += d * d;
          t += d;
        }
        sq += q, sd += t;
      }
      const double v = std::max(0.0, (sq - sd * sd / M) / M);
      const float r = static_cast<float>(1.0 / std::sqrt(v + eps));
      mp[c * mean.strides[0]] = m;
      vp[c * var.strides[0]] = static_cast<float>(v);
      rp[c * rstd.strides[0]] = r;
      const float scale = r * w[c], shift = bb[c] - m * scale;
      for (int64_t n = 0; n < N; ++n) {
        const float* p = plane(n);
        float* o = op + n * out.strides[0] + c * out.strides[1];
#pragma omp simd
        for (int64_t i = 0; i < S; ++i) o[i] = p[i] * scale + shift;
      }
    }
  });
  return true;
}

bool bn_backward_fast(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                      const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                      const TensorArg* dbias) {
  if (!bn_fast_ok(x) || grad.strides[2] != 1 || (dx && dx->strides[2] != 1)) return false;
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  const float *xp = ptr<const float>(x), *gp = ptr<const float>(grad);
  const float *mp = ptr<const float>(mean), *rp = ptr<const float>(rstd);
  const ChannelParam<float> w(weight, 1.0f);
  const double M = static_cast<double>(N * S);
  parallel_for(C, channel_grain(N, S), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const float m = mp[c * mean.strides[0]], r = rp[c * rstd.strides[0]];
      double sum_g = 0, sum_gd = 0;  // sum g, sum g*(x - m)
      if (training || dweight || dbias) {
        for (int64_t n = 0; n < N; ++n) {
          const float* xr = xp + n * x.strides[0] + c * x.strides[1];
          const float* gr = gp + n * grad.strides[0] + c * grad.strides[1];
          float sg = 0, sgd = 0;
#pragma omp simd reduction(+ : sg, sgd)
          for (int64_t s = 0; s < S; ++s) {
            sg += gr[s];
            sgd += gr[s] * (xr[s] - m);
          }
          sum_g += sg, sum_gd += sgd;
        }
      }
      const double sum_gxhat = sum_gd * r;
      if (dweight) ptr<float>(*dweight)[c * dweight->strides[0]] = static_cast<float>(sum_gxhat);
      if (dbias) ptr<float>(*dbias)[c * dbias->strides[0]] = static_cast<float>(sum_g);
      if (!dx) continue;
      // training: dx = k*g - k/M*sum_g - k*r/M*sum_gxhat*(x - m); eval: dx = k*g.
      const double k = static_cast<double>(w[c]) * r;
      const float a = static_cast<float>(k);
      const float bx = training ? static_cast<float>(-k * r * sum_gxhat / M) : 0.0f;
      const float c0 = training ? static_cast<float>(-k * sum_g / M) : 0.0f;
      for (int64_t n = 0; n < N; ++n) {
        const float* xr = xp + n * x.strides[0] + c * x.strides[1];
        const float* gr = gp + n * grad.strides[0] + c * grad.strides[1];
        float* d = ptr<float>(*dx) + n * dx->strides[0] + c * dx->strides[1];
#pragma omp simd
        for (int64_t s = 0; s < S; ++s) d[s] = a * gr[s] + bx * (xr[s] - m) + c0;
      }
    }
  });
  return true;
}

}  // namespace ember::cpu
