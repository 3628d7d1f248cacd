// Batch norm over x (N,C,S) and layer norm over rows of x (M,N), any strides (roles: T the
// data dtype, S the statistics dtype (float, double for double data), A the accumulator of the
// sums: double when the device has fp64, as the CPU reference, else float). Statistics are
// two-pass (mean, then squared deviations): batch norm runs one work-group per channel; layer
// norm one work-group per row / column (local-memory trees) or, in the *_items kernels, one
// work-item per row / column (serial loops). Elementwise parts compute in T_ACC as the CPU does.

#define WG_MAX 256

// Tree-combines sh[0..wg) into sh[0] (wg a power of two); every work-item must reach it.
#define TREE(COMBINE)                                  \
  barrier(CLK_LOCAL_MEM_FENCE);                        \
  for (int s = wg / 2; s > 0; s >>= 1) {               \
    if (lid < s) { COMBINE; }                          \
    barrier(CLK_LOCAL_MEM_FENCE);                      \
  }

// Runs the body for this work-item's share (lid, lid+wg, ...) of the N*Sz positions (n, sp) of
// one channel, stepping without a division per element.
#define NS_LOOP(...)                                                  \
  if (Sz > 0) {                                                       \
    const long dn = wg / Sz, ds = wg % Sz;                            \
    long n = lid / Sz, sp = lid % Sz;                                 \
    while (n < N) {                                                   \
      __VA_ARGS__;                                                    \
      n += dn;                                                        \
      sp += ds;                                                       \
      if (sp >= Sz) {                                                 \
        sp -= Sz;                                                     \
        ++n;                                                          \
      }                                                               \
    }                                                                 \
  }

// An optional per-channel / per-column parameter (dflt when absent).
#define PARAM(p, off, st, has, j, dflt) ((has) ? (T_ACC)T_LOAD(p, (off) + (j) * (st)) : (T_ACC)(dflt))

// ---- batch norm --------------------------------------------------------------------------

// Per channel c (one group each): mean and biased var; when apply, also rstd = 1/sqrt(var+eps)
// (from var rounded to S, as the CPU) and out = x * scale + shift.
__kernel void bn_stats_fwd(__global const T* x, long xoff, long s0, long s1, long s2, long N, long Sz,
                           __global S* mean, long moff, long mst, __global S* var, long voff, long vst,
                           __global S* rstd, long roff, long rst, __global const T* w, long woff, long wst, int has_w,
                           __global const T* b, long boff, long bst, int has_b, A_ACC eps, int apply,
                           __global T* out, long ooff, long o0, long o1, long o2) {
  __local A_ACC sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long c = get_group_id(0);
  const long xb = xoff + c * s1;
  const A_ACC M = (A_ACC)(N * Sz);
  A_ACC acc = 0;
  NS_LOOP(acc += (A_ACC)T_LOAD(x, xb + n * s0 + sp * s2));
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s]);
  const A_ACC m = sh[0] / M;
  barrier(CLK_LOCAL_MEM_FENCE);
  acc = 0;
  NS_LOOP(const A_ACC dd = (A_ACC)T_LOAD(x, xb + n * s0 + sp * s2) - m; acc += dd * dd);
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s]);
  const S v = (S)(sh[0] / M);
  const S r = (S)((A_ACC)1 / sqrt((A_ACC)v + eps));
  if (lid == 0) {
    mean[moff + c * mst] = (S)m;
    var[voff + c * vst] = v;
    if (apply) rstd[roff + c * rst] = r;
  }
  if (!apply) return;
  const T_ACC scale = (T_ACC)r * PARAM(w, woff, wst, has_w, c, 1);
  const T_ACC shift = PARAM(b, boff, bst, has_b, c, 0) - (T_ACC)(S)m * scale;
  const long ob = ooff + c * o1;
  NS_LOOP(T_STORE(out, ob + n * o0 + sp * o2, (T_ACC)T_LOAD(x, xb + n * s0 + sp * s2) * scale + shift));
}

// out = x * (rstd*w) + (b - mean*rstd*w) per element (n, c, sp) of total = N*C*Sz.
__kernel void bn_apply(__global const T* x, long xoff, long s0, long s1, long s2, long C, long Sz, long total,
                       __global const S* mean, long moff, long mst, __global const S* rstd, long roff, long rst,
                       __global const T* w, long woff, long wst, int has_w, __global const T* b, long boff, long bst,
                       int has_b, __global T* out, long ooff, long o0, long o1, long o2) {
  const long i = get_global_id(0);
  if (i >= total) return;
  const long sp = i % Sz, q = i / Sz, c = q % C, n = q / C;
  const T_ACC scale = (T_ACC)rstd[roff + c * rst] * PARAM(w, woff, wst, has_w, c, 1);
  const T_ACC shift = PARAM(b, boff, bst, has_b, c, 0) - (T_ACC)mean[moff + c * mst] * scale;
  T_STORE(out, ooff + n * o0 + c * o1 + sp * o2, (T_ACC)T_LOAD(x, xoff + n * s0 + c * s1 + sp * s2) * scale + shift);
}

// Per channel c: dbias = sum g, dweight = sum g*xhat; dx = w*rstd/M * (M*g - sum g - xhat *
// sum g*xhat) in training, w*rstd*g in eval. Absent outputs are skipped.
__kernel void bn_bwd(__global const T* g, long goff, long g0, long g1, long g2, __global const T* x, long xoff, long s0,
                     long s1, long s2, long N, long Sz, __global const S* mean, long moff, long mst,
                     __global const S* rstd, long roff, long rst, __global const T* w, long woff, long wst, int has_w,
                     int training, __global T* dx, long dxoff, long d0, long d1, long d2, int has_dx,
                     __global T* dw, long dwoff, long dwst, int has_dw, __global T* db, long dboff, long dbst,
                     int has_db) {
  __local A_ACC sg[WG_MAX], sgx[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long c = get_group_id(0);
  const long xb = xoff + c * s1, gb = goff + c * g1;
  const A_ACC m = (A_ACC)mean[moff + c * mst], r = (A_ACC)rstd[roff + c * rst];
  A_ACC sum_g = 0, sum_gx = 0;
  if (training || has_dw || has_db) {
    A_ACC a = 0, ax = 0;
    NS_LOOP(const A_ACC gv = (A_ACC)T_LOAD(g, gb + n * g0 + sp * g2); a += gv;
            ax += gv * ((A_ACC)T_LOAD(x, xb + n * s0 + sp * s2) - m) * r);
    sg[lid] = a;
    sgx[lid] = ax;
    TREE(sg[lid] += sg[lid + s]; sgx[lid] += sgx[lid + s]);
    sum_g = sg[0];
    sum_gx = sgx[0];
  }
  if (lid == 0) {
    if (has_dw) T_STORE(dw, dwoff + c * dwst, sum_gx);
    if (has_db) T_STORE(db, dboff + c * dbst, sum_g);
  }
  if (!has_dx) return;
  const A_ACC k = (A_ACC)PARAM(w, woff, wst, has_w, c, 1) * r, M = (A_ACC)(N * Sz);
  const long dxb = dxoff + c * d1;
  NS_LOOP(const A_ACC gv = (A_ACC)T_LOAD(g, gb + n * g0 + sp * g2);
          const A_ACC xh = ((A_ACC)T_LOAD(x, xb + n * s0 + sp * s2) - m) * r;
          T_STORE(dx, dxb + n * d0 + sp * d2, training ? k / M * (M * gv - sum_g - xh * sum_gx) : k * gv));
}

// ---- layer norm, one work-group per row / column ---------------------------------------------

// Row i (one group each): mean, rstd = 1/sqrt(biased var + eps), out = (x - mean) * rstd * w + b.
__kernel void ln_fwd(__global const T* x, long xoff, long x0, long x1, long Nn, __global const T* w, long woff,
                     long wst, int has_w, __global const T* b, long boff, long bst, int has_b, A_ACC eps,
                     __global T* out, long ooff, long o0, long o1, __global S* mean, long moff, long mst,
                     __global S* rstd, long roff, long rst) {
  __local A_ACC sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long i = get_group_id(0), xb = xoff + i * x0, ob = ooff + i * o0;
  A_ACC acc = 0;
  for (long j = lid; j < Nn; j += wg) acc += (A_ACC)T_LOAD(x, xb + j * x1);
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s]);
  const A_ACC m = Nn ? sh[0] / (A_ACC)Nn : (A_ACC)0;
  barrier(CLK_LOCAL_MEM_FENCE);
  acc = 0;
  for (long j = lid; j < Nn; j += wg) {
    const A_ACC dd = (A_ACC)T_LOAD(x, xb + j * x1) - m;
    acc += dd * dd;
  }
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s]);
  const A_ACC r = (A_ACC)1 / sqrt((Nn ? sh[0] / (A_ACC)Nn : (A_ACC)0) + eps);
  if (lid == 0) {
    mean[moff + i * mst] = (S)m;
    rstd[roff + i * rst] = (S)r;
  }
  const T_ACC am = (T_ACC)m, ar = (T_ACC)r;
  for (long j = lid; j < Nn; j += wg)
    T_STORE(out, ob + j * o1,
            ((T_ACC)T_LOAD(x, xb + j * x1) - am) * ar * PARAM(w, woff, wst, has_w, j, 1) +
                PARAM(b, boff, bst, has_b, j, 0));
}

// Row i: with gw = g*w, dx = rstd/N * (N*gw - sum gw - xhat * sum gw*xhat).
__kernel void ln_bwd_dx(__global const T* g, long goff, long g0, long g1, __global const T* x, long xoff, long x0,
                        long x1, long Nn, __global const S* mean, long moff, long mst, __global const S* rstd,
                        long roff, long rst, __global const T* w, long woff, long wst, int has_w, __global T* dx,
                        long dxoff, long d0, long d1) {
  __local A_ACC sa[WG_MAX], sb[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long i = get_group_id(0), xb = xoff + i * x0, gb = goff + i * g0;
  const A_ACC m = (A_ACC)mean[moff + i * mst], r = (A_ACC)rstd[roff + i * rst], nn = (A_ACC)Nn;
  A_ACC a = 0, ax = 0;
  for (long j = lid; j < Nn; j += wg) {
    const A_ACC gw = (A_ACC)T_LOAD(g, gb + j * g1) * (A_ACC)PARAM(w, woff, wst, has_w, j, 1);
    a += gw;
    ax += gw * ((A_ACC)T_LOAD(x, xb + j * x1) - m) * r;
  }
  sa[lid] = a;
  sb[lid] = ax;
  TREE(sa[lid] += sa[lid + s]; sb[lid] += sb[lid + s]);
  const A_ACC sum_gw = sa[0], sum_gwx = sb[0];
  for (long j = lid; j < Nn; j += wg) {
    const A_ACC gw = (A_ACC)T_LOAD(g, gb + j * g1) * (A_ACC)PARAM(w, woff, wst, has_w, j, 1);
    const A_ACC xh = ((A_ACC)T_LOAD(x, xb + j * x1) - m) * r;
    T_STORE(dx, dxoff + i * d0 + j * d1, r / nn * (nn * gw - sum_gw - xh * sum_gwx));
  }
}

// Column j (one group each) over the M rows: dweight = sum g*xhat, dbias = sum g.
__kernel void ln_bwd_params(__global const T* g, long goff, long g0, long g1, __global const T* x, long xoff, long x0,
                            long x1, long Mrows, __global const S* mean, long moff, long mst, __global const S* rstd,
                            long roff, long rst, __global T* dw, long dwoff, long dwst, int has_dw, __global T* db,
                            long dboff, long dbst, int has_db) {
  __local A_ACC sa[WG_MAX], sb[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long j = get_group_id(0);
  A_ACC a = 0, ax = 0;
  for (long i = lid; i < Mrows; i += wg) {
    const A_ACC gv = (A_ACC)T_LOAD(g, goff + i * g0 + j * g1);
    a += gv;
    ax += gv * ((A_ACC)T_LOAD(x, xoff + i * x0 + j * x1) - (A_ACC)mean[moff + i * mst]) * (A_ACC)rstd[roff + i * rst];
  }
  sa[lid] = a;
  sb[lid] = ax;
  TREE(sa[lid] += sa[lid + s]; sb[lid] += sb[lid + s]);
  if (lid == 0) {
    if (has_dw) T_STORE(dw, dwoff + j * dwst, sb[0]);
    if (has_db) T_STORE(db, dboff + j * dbst, sa[0]);
  }
}

// ---- layer norm, one work-item per row / column ----------------------------------------------

__kernel void ln_fwd_items(__global const T* x, long xoff, long x0, long x1, long Nn, __global const T* w, long woff,
                           long wst, int has_w, __global const T* b, long boff, long bst, int has_b, A_ACC eps,
                           __global T* out, long ooff, long o0, long o1, __global S* mean, long moff, long mst,
                           __global S* rstd, long roff, long rst, long M) {
  const long i = get_global_id(0);
  if (i >= M) return;
  const long xb = xoff + i * x0, ob = ooff + i * o0;
  A_ACC sum = 0, sq = 0;
  for (long j = 0; j < Nn; ++j) sum += (A_ACC)T_LOAD(x, xb + j * x1);
  const A_ACC m = Nn ? sum / (A_ACC)Nn : (A_ACC)0;
  for (long j = 0; j < Nn; ++j) {
    const A_ACC dd = (A_ACC)T_LOAD(x, xb + j * x1) - m;
    sq += dd * dd;
  }
  const A_ACC r = (A_ACC)1 / sqrt((Nn ? sq / (A_ACC)Nn : (A_ACC)0) + eps);
  mean[moff + i * mst] = (S)m;
  rstd[roff + i * rst] = (S)r;
  const T_ACC am = (T_ACC)m, ar = (T_ACC)r;
  for (long j = 0; j < Nn; ++j)
    T_STORE(out, ob + j * o1,
            ((T_ACC)T_LOAD(x, xb + j * x1) - am) * ar * PARAM(w, woff, wst, has_w, j, 1) +
                PARAM(b, boff, bst, has_b, j, 0));
}

__kernel void ln_bwd_dx_items(__global const T* g, long goff, long g0, long g1, __global const T* x, long xoff,
                              long x0, long x1, long Nn, __global const S* mean, long moff, long mst,
                              __global const S* rstd, long roff, long rst, __global const T* w, long woff, long wst,
                              int has_w, __global T* dx, long dxoff, long d0, long d1, long M) {
  const long i = get_global_id(0);
  if (i >= M) return;
  const long xb = xoff + i * x0, gb = goff + i * g0;
  const A_ACC m = (A_ACC)mean[moff + i * mst], r = (A_ACC)rstd[roff + i * rst], nn = (A_ACC)Nn;
  A_ACC sum_gw = 0, sum_gwx = 0;
  for (long j = 0; j < Nn; ++j) {
    const A_ACC gw = (A_ACC)T_LOAD(g, gb + j * g1) * (A_ACC)PARAM(w, woff, wst, has_w, j, 1);
    sum_gw += gw;
    sum_gwx += gw * ((A_ACC)T_LOAD(x, xb + j * x1) - m) * r;
  }
  for (long j = 0; j < Nn; ++j) {
    const A_ACC gw = (A_ACC)T_LOAD(g, gb + j * g1) * (A_ACC)PARAM(w, woff, wst, has_w, j, 1);
    const A_ACC xh = ((A_ACC)T_LOAD(x, xb + j * x1) - m) * r;
    T_STORE(dx, dxoff + i * d0 + j * d1, r / nn * (nn * gw - sum_gw - xh * sum_gwx));
  }
}

__kernel void ln_bwd_params_items(__global const T* g, long goff, long g0, long g1, __global const T* x, long xoff,
                                  long x0, long x1, long Mrows, __global const S* mean, long moff, long mst,
                                  __global const S* rstd, long roff, long rst, __global T* dw, long dwoff, long dwst,
                                  int has_dw, __global T* db, long dboff, long dbst, int has_db, long Nn) {
  const long j = get_global_id(0);
  if (j >= Nn) return;
  A_ACC sb = 0, sw = 0;
  for (long i = 0; i < Mrows; ++i) {
    const A_ACC gv = (A_ACC)T_LOAD(g, goff + i * g0 + j * g1);
    sb += gv;
    sw += gv * ((A_ACC)T_LOAD(x, xoff + i * x0 + j * x1) - (A_ACC)mean[moff + i * mst]) * (A_ACC)rstd[roff + i * rst];
  }
  if (has_dw) T_STORE(dw, dwoff + j * dwst, sw);
  if (has_db) T_STORE(db, dboff + j * dbst, sb);
}
