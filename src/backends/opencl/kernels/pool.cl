// 2-D pooling over NCHW planes (role T, any floating dtype; sums in T_ACC): max (first maximum
// of the window, NaN propagates, padding never wins) with flat h*W+w indices, average
// (count_include_pad), adaptive average. Forwards run one work-item per output row. Backwards
// never scatter with atomics: for float32/float64 (*_rows) one work-item per input row owns
// that row of the gradient and adds into it, in output order, the outputs that read it
// (the CPU's order and precision); 16-bit dtypes (*_gather), whose sums must stay in float
// until one final rounding, gather per input element into a float accumulator instead.

// Plane sizes and window (layout mirrors PoolGeom in pool.cpp: longs only). rows: the rows
// (planes * height) the launch covers; the host keeps it under 2^31.
typedef struct {
  long H, W, OH, OW, kh, kw, sh, sw, ph, pw, rows;
} PoolGeom;

// The outputs [*lo, *hi] along one dim whose window [o*s - p, o*s - p + k) holds position x.
inline void covering(long x, long k, long s, long p, long n_out, long* lo, long* hi) {
  const long t = x + p - k + 1;  // o*s >= t
  *lo = t <= 0 ? 0 : (t + s - 1) / s;
  *hi = min((x + p) / s, n_out - 1);
}

__kernel void max_pool_forward(__global const T* x, long xoff, __global T* out, long ooff, __global long* idx,
                               long ioff, int want_idx, PoolGeom g) {
  const int row = get_global_id(0);
  if (row >= g.rows) return;
  const int OH = g.OH;
  const long oh = row % OH, pl = row / OH;
  long h0 = oh * g.sh - g.ph;
  const long h1 = min(h0 + g.kh, g.H);
  h0 = max(h0, 0L);
  const long base = xoff + pl * g.H * g.W, obase = (long)row * g.OW;
  for (long ow = 0; ow < g.OW; ++ow) {
    long w0 = ow * g.sw - g.pw;
    const long w1 = min(w0 + g.kw, g.W);
    w0 = max(w0, 0L);
    T_ACC best = T_LOAD(x, base + h0 * g.W + w0);
    long best_i = h0 * g.W + w0;
    for (long h = h0; h < h1 && !isnan(best); ++h)
      for (long w = w0; w < w1; ++w) {
        const T_ACC v = T_LOAD(x, base + h * g.W + w);
        if (v > best || isnan(v)) {
          best = v;
          best_i = h * g.W + w;
          if (isnan(v)) break;
        }
      }
    T_STORE(out, ooff + obase + ow, best);
    if (want_idx) idx[ioff + obase + ow] = best_i;
  }
}


__kernel void avg_pool_forward(__global const T* x, long xoff, __global T* out, long ooff, T_ACC inv, PoolGeom g) {
  const int row = get_global_id(0);
  if (row >= g.rows) return;
  const int OH = g.OH;
  const long oh = row % OH, pl = row / OH;
  long h0 = oh * g.sh - g.ph;
  const long h1 = min(h0 + g.kh, g.H);
  h0 = max(h0, 0L);
  const long base = xoff + pl * g.H * g.W;
  for (long ow = 0; ow < g.OW; ++ow) {
    long w0 = ow * g.sw - g.pw;
    const long w1 = min(w0 + g.kw, g.W);
    w0 = max(w0, 0L);
    T_ACC s = (T_ACC)0;
    for (long h = h0; h < h1; ++h)
      for (long w = w0; w < w1; ++w) s += T_LOAD(x, base + h * g.W + w);
    T_STORE(out, ooff + (long)row * g.OW + ow, s * inv);
  }
}

// ---- backwards, float32 / float64: one work-item per input row ------------------------------

__kernel void max_pool_backward_rows(__global const T* go, long goff, __global const long* idx, long ioff,
                                     __global T* gx, long xoff, PoolGeom g) {
  const int row = get_global_id(0);
  if (row >= g.rows) return;
  const int H = g.H;
  const long h = row % H, pl = row / H, lo = h * g.W, hi = lo + g.W;
  __global T* out = gx + xoff + (long)row * g.W;
  for (long w = 0; w < g.W; ++w) T_STORE(out, w, (T_ACC)0);
  long oh0, oh1;
  covering(h, g.kh, g.sh, g.ph, g.OH, &oh0, &oh1);
  for (long oh = oh0; oh <= oh1; ++oh) {
    const long o0 = pl * g.OH * g.OW + oh * g.OW;
    for (long ow = 0; ow < g.OW; ++ow) {
      const long k = idx[ioff + o0 + ow];
      if (k >= lo && k < hi) T_STORE(out, k - lo, T_LOAD(out, k - lo) + T_LOAD(go, goff + o0 + ow));
    }
  }
}

__kernel void avg_pool_backward_rows(__global const T* go, long goff, __global T* gx, long xoff, T_ACC inv,
                                     PoolGeom g) {
  const int row = get_global_id(0);
  if (row >= g.rows) return;
  const int H = g.H;
  const long h = row % H, pl = row / H;
  __global T* out = gx + xoff + (long)row * g.W;
  for (long w = 0; w < g.W; ++w) T_STORE(out, w, (T_ACC)0);
  long oh0, oh1;
  covering(h, g.kh, g.sh, g.ph, g.OH, &oh0, &oh1);
  for (long oh = oh0; oh <= oh1; ++oh) {
    const long o0 = goff + pl * g.OH * g.OW + oh * g.OW;
    for (long ow = 0; ow < g.OW; ++ow) {
      long w0 = ow * g.sw - g.pw;
      const long w1 = min(w0 + g.kw, g.W);
      w0 = max(w0, 0L);
      const T_ACC v = T_LOAD(go, o0 + ow) * inv;
      for (long w = w0; w < w1; ++w) T_STORE(out, w, T_LOAD(out, w) + v);
    }
  }
}

// PyTorch's adaptive bin [floor(i*n/out), ceil((i+1)*n/out)): core/kernel_formulas.h.
#define bin_lo(i, n, out) EMBER_ADAPTIVE_BIN_LO((long)(i), (long)(n), (long)(out))
#define bin_hi(i, n, out) EMBER_ADAPTIVE_BIN_HI((long)(i), (long)(n), (long)(out))

__kernel void adaptive_avg_forward(__global const T* x, long xoff, __global T* out, long ooff, PoolGeom g) {
  const int row = get_global_id(0);
  if (row >= g.rows) return;
  const int OH = g.OH;
  const long oh = row % OH, pl = row / OH;
  const long h0 = bin_lo(oh, g.H, g.OH), h1 = bin_hi(oh, g.H, g.OH);
  const long base = xoff + pl * g.H * g.W;
  for (long ow = 0; ow < g.OW; ++ow) {
    const long w0 = bin_lo(ow, g.W, g.OW), w1 = bin_hi(ow, g.W, g.OW);
    T_ACC s = (T_ACC)0;
    for (long h = h0; h < h1; ++h)
      for (long w = w0; w < w1; ++w) s += T_LOAD(x, base + h * g.W + w);
    T_STORE(out, ooff + (long)row * g.OW + ow, s / (T_ACC)((h1 - h0) * (w1 - w0)));
  }
}

__kernel void adaptive_avg_backward_rows(__global const T* go, long goff, __global T* gx, long xoff, PoolGeom g) {
  const int row = get_global_id(0);
  if (row >= g.rows) return;
  const int H = g.H;
  const long h = row % H, pl = row / H;
  __global T* out = gx + xoff + (long)row * g.W;
  for (long w = 0; w < g.W; ++w) T_STORE(out, w, (T_ACC)0);
  // Bins holding row h: from floor(h*OH/H) to ceil((h+1)*OH/H) - 1 (each checked).
  const long oh0 = bin_lo(h, g.OH, g.H), oh1 = min(bin_hi(h, g.OH, g.H), (long)g.OH);
  for (long oh = oh0; oh < oh1; ++oh) {
    const long h0 = bin_lo(oh, g.H, g.OH), h1 = bin_hi(oh, g.H, g.OH);
    if (h < h0 || h >= h1) continue;
    const long o0 = goff + pl * g.OH * g.OW + oh * g.OW;
    for (long ow = 0; ow < g.OW; ++ow) {
      const long w0 = bin_lo(ow, g.W, g.OW), w1 = bin_hi(ow, g.W, g.OW);
      const T_ACC v = T_LOAD(go, o0 + ow) / (T_ACC)((h1 - h0) * (w1 - w0));
      for (long w = w0; w < w1; ++w) T_STORE(out, w, T_LOAD(out, w) + v);
    }
  }
}

// ---- backwards, 16-bit dtypes: one work-item per input element ------------------------------

__kernel void max_pool_backward_gather(__global const T* go, long goff, __global const long* idx, long ioff,
                                       __global T* gx, long xoff, PoolGeom g) {
  const long i = get_global_id(0);
  if (i >= g.rows * g.W) return;
  const long w = i % g.W, h = (i / g.W) % g.H, pl = i / (g.W * g.H), me = h * g.W + w;
  long oh0, oh1, ow0, ow1;
  covering(h, g.kh, g.sh, g.ph, g.OH, &oh0, &oh1);
  covering(w, g.kw, g.sw, g.pw, g.OW, &ow0, &ow1);
  const long obase = pl * g.OH * g.OW;
  T_ACC acc = (T_ACC)0;
  for (long oh = oh0; oh <= oh1; ++oh)
    for (long ow = ow0; ow <= ow1; ++ow) {
      const long o = obase + oh * g.OW + ow;
      if (idx[ioff + o] == me) acc += T_LOAD(go, goff + o);
    }
  T_STORE(gx, xoff + i, acc);
}

__kernel void avg_pool_backward_gather(__global const T* go, long goff, __global T* gx, long xoff, T_ACC inv,
                                       PoolGeom g) {
  const long i = get_global_id(0);
  if (i >= g.rows * g.W) return;
  const long w = i % g.W, h = (i / g.W) % g.H, pl = i / (g.W * g.H);
  long oh0, oh1, ow0, ow1;
  covering(h, g.kh, g.sh, g.ph, g.OH, &oh0, &oh1);
  covering(w, g.kw, g.sw, g.pw, g.OW, &ow0, &ow1);
  const long obase = goff + pl * g.OH * g.OW;
  T_ACC acc = (T_ACC)0;
  for (long oh = oh0; oh <= oh1; ++oh)
    for (long ow = ow0; ow <= ow1; ++ow) acc += T_LOAD(go, obase + oh * g.OW + ow) * inv;
  T_STORE(gx, xoff + i, acc);
}

__kernel void adaptive_avg_backward_gather(__global const T* go, long goff, __global T* gx, long xoff, PoolGeom g) {
  const long i = get_global_id(0);
  if (i >= g.rows * g.W) return;
  const long w = i % g.W, h = (i / g.W) % g.H, pl = i / (g.W * g.H);
  const long oh0 = (h * g.OH) / g.H, oh1 = min(((h + 1) * g.OH + g.H - 1) / g.H, g.OH);
  const long ow0 = (w * g.OW) / g.W, ow1 = min(((w + 1) * g.OW + g.W - 1) / g.W, g.OW);
  const long obase = goff + pl * g.OH * g.OW;
  T_ACC acc = (T_ACC)0;
  for (long oh = oh0; oh < oh1; ++oh) {
    const long h0 = bin_lo(oh, g.H, g.OH), h1 = bin_hi(oh, g.H, g.OH);
    if (h < h0 || h >= h1) continue;
    for (long ow = ow0; ow < ow1; ++ow) {
      const long w0 = bin_lo(ow, g.W, g.OW), w1 = bin_hi(ow, g.W, g.OW);
      if (w < w0 || w >= w1) continue;
      acc += T_LOAD(go, obase + oh * g.OW + ow) / (T_ACC)((h1 - h0) * (w1 - w0));
    }
  }
  T_STORE(gx, xoff + i, acc);
}
