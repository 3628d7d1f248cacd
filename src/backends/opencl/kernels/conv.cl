// conv2d helpers around the CLBlast GEMMs (role T: float or double): im2col into columns laid
// out (C*kH*kW, Nc, OH*OW) for a chunk of Nc images, the col2im of the input gradient, the
// (N,O,P) <-> (O,N,P) permutes around the GEMMs (with the bias added on the way out), and the
// bias gradient as one work-group reduction per output channel. Each work-item handles one
// row (its index split once, no division per element), and col2im's work-item owns its row
// of the input gradient, so overlapping windows accumulate without atomics, deterministically.

// Sizes of one convolution chunk (layout mirrors ConvGeom in conv.cpp: longs only). The host
// keeps a chunk's column count under 2^31, so row indices fit in int.
typedef struct {
  long C, H, W, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, Nc;
} ConvGeom;

// col[r, n, oh, :] (r = (c*KH + kh)*KW + kw) = x[n, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
// over ow (0 outside the image), for the Nc images at x + xoff. One work-item per (r, n, oh).
__kernel void im2col(__global const T* x, long xoff, __global T* col, ConvGeom g, int rows) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  const int OH = g.OH, OW = g.OW, KW = g.KW, KH = g.KH, Nc = g.Nc;
  const int oh = row % OH, t = row / OH, n = t % Nc, r = t / Nc;
  const int kw = r % KW, kh = (r / KW) % KH, c = r / (KW * KH);
  const long ih = (long)oh * g.sh - g.ph + kh * g.dh;
  __global T* out = col + (long)row * OW;
  if (ih < 0 || ih >= g.H) {
    for (int ow = 0; ow < OW; ++ow) T_STORE(out, ow, (T_ACC)0);
    return;
  }
  const long base = xoff + ((n * g.C + c) * g.H + ih) * g.W;
  const long iw0 = (long)kw * g.dw - g.pw;
  for (int ow = 0; ow < OW; ++ow) {
    const long iw = iw0 + ow * g.sw;
    T_STORE(out, ow, (iw >= 0 && iw < g.W) ? T_LOAD(x, base + iw) : (T_ACC)0);
  }
}

// gx[n, c, h, :] (the Nc images at gx + xoff) = the sum of the columns that read each element,
// over kh then kw. One work-item per input row (n, c, h), accumulating into that row only.
__kernel void col2im(__global const T* col, __global T* gx, long xoff, ConvGeom g, int rows) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  const int H = g.H, W = g.W, C = g.C, OW = g.OW;
  const int h = row % H, c = (row / H) % C, n = row / (H * C);
  const long P = g.OH * g.OW, stride_r = g.Nc * P;
  __global T* out = gx + xoff + (long)row * W;
  for (int w = 0; w < W; ++w) T_STORE(out, w, (T_ACC)0);
  for (int kh = 0; kh < g.KH; ++kh) {
    const long th = h + g.ph - kh * g.dh;
    if (th < 0 || th % g.sh != 0 || th / g.sh >= g.OH) continue;
    const long oh = th / g.sh;
    for (int kw = 0; kw < g.KW; ++kw) {
      // output columns ow whose input column ow*sw - pw + kw*dw lies in [0, W)
      const long off = (long)kw * g.dw - g.pw;
      const long lo = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
      const long hi = min((long)OW, W - 1 - off < 0 ? 0 : (W - 1 - off) / g.sw + 1);
      __global const T* src = col + ((c * g.KH + kh) * g.KW + kw) * stride_r + n * P + oh * OW;
      for (long ow = lo; ow < hi; ++ow) {
        const long w = ow * g.sw + off;
        T_STORE(out, w, T_LOAD(out, w) + T_LOAD(src, ow));
      }
    }
  }
}

// dst (O, Nc, P) = src (Nc, O, P) at src + soff. One work-item per row (o, n).
__kernel void nop_to_onp(__global const T* src, long soff, __global T* dst, int O, int Nc, int P) {
  const int row = get_global_id(0);
  if (row >= O * Nc) return;
  const int n = row % Nc, o = row / Nc;
  __global const T* s = src + soff + ((long)n * O + o) * P;
  __global T* d = dst + (long)row * P;
  for (int p = 0; p < P; ++p) T_STORE(d, p, T_LOAD(s, p));
}

// dst (Nc, O, P) at dst + doff = src (O, Nc, P) + bias[o] (when has_bias). One work-item per
// row (n, o).
__kernel void onp_to_nop(__global const T* src, __global T* dst, long doff, __global const T* bias, long boff,
                         int has_bias, int O, int Nc, int P) {
  const int row = get_global_id(0);
  if (row >= O * Nc) return;
  const int o = row % O, n = row / O;
  const T_ACC b = has_bias ? T_LOAD(bias, boff + o) : (T_ACC)0;
  __global const T* s = src + ((long)o * Nc + n) * P;
  __global T* d = dst + doff + (long)row * P;
  for (int p = 0; p < P; ++p) T_STORE(d, p, T_LOAD(s, p) + b);
}

// gb[o] = sum over n, p of g (N, O, P): work-group o (of at most 256 work-items) strides
// over the N*P elements, then reduces its partial sums as a tree in local memory.
__kernel void bias_grad(__global const T* g, long goff, __global T* gb, long gboff, long N, long O, long P) {
  __local T_ACC part[256];
  const long o = get_group_id(0);
  const int lid = get_local_id(0), L = get_local_size(0);
  T_ACC s = (T_ACC)0;
  long n = lid / P, p = lid % P;  // element j = n*P + p, advanced by L without dividing
  const long step_n = L / P, step_p = L % P;
  for (; n < N;) {
    s += T_LOAD(g, goff + (n * O + o) * P + p);
    n += step_n, p += step_p;
    if (p >= P) p -= P, ++n;
  }
  part[lid] = s;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int m = L; m > 1;) {  // m partial sums left; fold the top half onto the bottom
    const int h = m / 2, keep = m - h;
    if (lid < h) part[lid] += part[lid + keep];
    barrier(CLK_LOCAL_MEM_FENCE);
    m = keep;
  }
  if (lid == 0) T_STORE(gb, gboff + o, part[0]);
}
