// Softmax / log-softmax (forward, backward) over the last dim and the fused cross-entropy and
// NLL losses (roles: T the floating dtype, S the statistics dtype of lse: float, or double for
// double). Row kernels come in two shapes: *_items give each row to one work-item (a serial
// loop in the CPU reference's order), the others to one work-group (local-memory trees). Row r
// of a [rows..., C] operand starts at strided_offset(&view, r) and its column j lies
// j * col_stride further on. Arithmetic is in T_ACC, as the CPU reference computes (float for
// float32 and the 16-bit floats).

#define WG_MAX 256

// Tree-combines sh[0..wg) into sh[0] (wg a power of two); every work-item must reach it.
#define TREE(COMBINE)                                  \
  barrier(CLK_LOCAL_MEM_FENCE);                        \
  for (int s = wg / 2; s > 0; s >>= 1) {               \
    if (lid < s) { COMBINE; }                          \
    barrier(CLK_LOCAL_MEM_FENCE);                      \
  }

// The max as std::max(m, v) takes it (a NaN v never replaces m).
inline T_ACC max_keep(T_ACC m, T_ACC v) { return m < v ? v : m; }

// The row's max (an all -inf row gives 0) and sum of exp(x - max), in every work-item.
// sh must hold wg values; leaves the results in *m and *s.
inline void row_max_sumexp(__global const T* x, long base, long stride, long C, __local T_ACC* sh, int lid, int wg,
                           T_ACC* m_out, T_ACC* s_out) {
  T_ACC m = -INFINITY;
  for (long j = lid; j < C; j += wg) m = max_keep(m, T_LOAD(x, base + j * stride));
  sh[lid] = m;
  TREE(sh[lid] = max_keep(sh[lid], sh[lid + s]));
  m = sh[0];
  if (isinf(m) && m < 0) m = 0;
  barrier(CLK_LOCAL_MEM_FENCE);  // everyone has read sh[0]
  T_ACC acc = 0;
  for (long j = lid; j < C; j += wg) acc += exp(T_LOAD(x, base + j * stride) - m);
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s]);
  *m_out = m;
  *s_out = sh[0];
}

// ---- one work-group per row -----------------------------------------------------------------

__kernel void softmax_fwd(__global const T* x, Strided xv, long sx, __global T* y, Strided yv, long sy, long C,
                          int log_) {
  __local T_ACC sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long r = get_group_id(0);
  const long xb = strided_offset(&xv, r), yb = strided_offset(&yv, r);
  T_ACC m, se;
  row_max_sumexp(x, xb, sx, C, sh, lid, wg, &m, &se);
  if (log_) {
    const T_ACC lse = m + log(se);
    for (long j = lid; j < C; j += wg) T_STORE(y, yb + j * sy, T_LOAD(x, xb + j * sx) - lse);
  } else {
    const T_ACC inv = (T_ACC)1 / se;
    for (long j = lid; j < C; j += wg) T_STORE(y, yb + j * sy, exp(T_LOAD(x, xb + j * sx) - m) * inv);
  }
}

// softmax: dx = y * (g - sum(g*y)); log_softmax: dx = g - exp(y) * sum(g).
__kernel void softmax_bwd(__global const T* g, Strided gv, long sg, __global const T* y, Strided yv, long sy,
                          __global T* dx, Strided dv, long sd, long C, int log_) {
  __local T_ACC sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long r = get_group_id(0);
  const long gb = strided_offset(&gv, r), yb = strided_offset(&yv, r), db = strided_offset(&dv, r);
  T_ACC acc = 0;
  for (long j = lid; j < C; j += wg)
    acc += log_ ? T_LOAD(g, gb + j * sg) : T_LOAD(g, gb + j * sg) * T_LOAD(y, yb + j * sy);
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s]);
  const T_ACC tot = sh[0];
  for (long j = lid; j < C; j += wg) {
    const T_ACC gj = T_LOAD(g, gb + j * sg), yj = T_LOAD(y, yb + j * sy);
    T_STORE(dx, db + j * sd, log_ ? gj - exp(yj) * tot : yj * (gj - tot));
  }
}

// ---- one work-item per row ----------------------------------------------------------------

// The row's max (an all -inf row gives 0) and sum of exp(x - max), serially.
inline void row_max_sumexp_serial(__global const T* x, long base, long stride, long C, T_ACC* m_out, T_ACC* s_out) {
  T_ACC m = -INFINITY;
  for (long j = 0; j < C; ++j) m = max_keep(m, T_LOAD(x, base + j * stride));
  if (isinf(m) && m < 0) m = 0;
  T_ACC acc = 0;
  for (long j = 0; j < C; ++j) acc += exp(T_LOAD(x, base + j * stride) - m);
  *m_out = m;
  *s_out = acc;
}

__kernel void softmax_fwd_items(__global const T* x, Strided xv, long sx, __global T* y, Strided yv, long sy, long C,
                                int log_, long rows) {
  const long r = get_global_id(0);
  if (r >= rows) return;
  const long xb = strided_offset(&xv, r), yb = strided_offset(&yv, r);
  T_ACC m, se;
  row_max_sumexp_serial(x, xb, sx, C, &m, &se);
  if (log_) {
    const T_ACC lse = m + log(se);
    for (long j = 0; j < C; ++j) T_STORE(y, yb + j * sy, T_LOAD(x, xb + j * sx) - lse);
  } else {
    const T_ACC inv = (T_ACC)1 / se;
    for (long j = 0; j < C; ++j) T_STORE(y, yb + j * sy, exp(T_LOAD(x, xb + j * sx) - m) * inv);
  }
}

__kernel void softmax_bwd_items(__global const T* g, Strided gv, long sg, __global const T* y, Strided yv, long sy,
                                __global T* dx, Strided dv, long sd, long C, int log_, long rows) {
  const long r = get_global_id(0);
  if (r >= rows) return;
  const long gb = strided_offset(&gv, r), yb = strided_offset(&yv, r), db = strided_offset(&dv, r);
  T_ACC tot = 0;
  for (long j = 0; j < C; ++j) tot += log_ ? T_LOAD(g, gb + j * sg) : T_LOAD(g, gb + j * sg) * T_LOAD(y, yb + j * sy);
  for (long j = 0; j < C; ++j) {
    const T_ACC gj = T_LOAD(g, gb + j * sg), yj = T_LOAD(y, yb + j * sy);
    T_STORE(dx, db + j * sd, log_ ? gj - exp(yj) * tot : yj * (gj - tot));
  }
}

// ---- losses ----------------------------------------------------------------------------------

// Records row i as having a target outside [0,C) (the host reports the lowest such row).
inline void flag_bad_target(__global int* bad, long i) { atomic_min(bad, (int)min(i, (long)INT_MAX - 1)); }

// loss_i = keep * (lse_i - x[i,t_i]) + ls * (lse_i - mean_j x[i,j]) (the second term when has_ls).
__kernel void ce_fwd(__global const T* x, long xoff, long s0, long s1, __global const long* tg, long toff, long ts,
                     __global T* loss, long loff, long lst, __global S* lse, long eoff, long est, long C,
                     T_ACC ls, T_ACC keep, int has_ls, __global int* bad) {
  __local T_ACC sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long i = get_group_id(0);
  const long xb = xoff + i * s0;
  T_ACC m, se;
  row_max_sumexp(x, xb, s1, C, sh, lid, wg, &m, &se);
  T_ACC sum_x = 0;
  if (has_ls) {
    barrier(CLK_LOCAL_MEM_FENCE);
    for (long j = lid; j < C; j += wg) sum_x += T_LOAD(x, xb + j * s1);
    sh[lid] = sum_x;
    TREE(sh[lid] += sh[lid + s]);
    sum_x = sh[0];
  }
  if (lid != 0) return;
  const long t = tg[toff + i * ts];
  if (t < 0 || t >= C) {
    flag_bad_target(bad, i);
    return;
  }
  const T_ACC r = m + log(se);
  T_ACC li = keep * (r - T_LOAD(x, xb + t * s1));
  if (has_ls) li += ls * (r - sum_x / (T_ACC)C);
  T_STORE(loss, loff + i * lst, li);
  lse[eoff + i * est] = (S)r;
}

__kernel void ce_fwd_items(__global const T* x, long xoff, long s0, long s1, __global const long* tg, long toff,
                           long ts, __global T* loss, long loff, long lst, __global S* lse, long eoff, long est, long C,
                           T_ACC ls, T_ACC keep, int has_ls, __global int* bad, long N) {
  const long i = get_global_id(0);
  if (i >= N) return;
  const long xb = xoff + i * s0;
  const long t = tg[toff + i * ts];
  if (t < 0 || t >= C) {
    flag_bad_target(bad, i);
    return;
  }
  T_ACC m, se, sum_x = 0;
  row_max_sumexp_serial(x, xb, s1, C, &m, &se);
  if (has_ls)
    for (long j = 0; j < C; ++j) sum_x += T_LOAD(x, xb + j * s1);
  const T_ACC r = m + log(se);
  T_ACC li = keep * (r - T_LOAD(x, xb + t * s1));
  if (has_ls) li += ls * (r - sum_x / (T_ACC)C);
  T_STORE(loss, loff + i * lst, li);
  lse[eoff + i * est] = (S)r;
}

// dlogits[i,j] (contiguous) = (exp(x - lse_i) - uniform - (j == t_i ? keep : 0)) * g_i * scale.
__kernel void ce_bwd(__global const T* x, long xoff, long s0, long s1, __global const long* tg, long toff, long ts,
                     __global const S* lse, long eoff, long est, __global const T* g, long goff, long gs,
                     T_ACC scale, T_ACC uniform_, T_ACC keep, __global T* d, long doff, long N, long C) {
  const long k = get_global_id(0);
  if (k >= N * C) return;
  const long i = k / C, j = k - i * C;
  const long t = tg[toff + i * ts];
  const T_ACC gi = T_LOAD(g, goff + i * gs) * scale;
  const T_ACC r = (T_ACC)lse[eoff + i * est];
  const T_ACC p = exp(T_LOAD(x, xoff + i * s0 + j * s1) - r) - uniform_ - (j == t ? keep : (T_ACC)0);
  T_STORE(d, doff + k, p * gi);
}

__kernel void nll_fwd(__global const T* x, long xoff, long s0, long s1, __global const long* tg, long toff, long ts,
                      __global T* loss, long loff, long lst, long N, long C, __global int* bad) {
  const long i = get_global_id(0);
  if (i >= N) return;
  const long t = tg[toff + i * ts];
  if (t < 0 || t >= C) {
    flag_bad_target(bad, i);
    return;
  }
  T_STORE(loss, loff + i * lst, -T_LOAD(x, xoff + i * s0 + t * s1));
}

// dlog_probs[i,j] (contiguous) = j == t_i ? -g_i * scale : 0.
__kernel void nll_bwd(__global const long* tg, long toff, long ts, __global const T* g, long goff, long gs,
                      T_ACC scale, __global T* d, long doff, long N, long C) {
  const long k = get_global_id(0);
  if (k >= N * C) return;
  const long i = k / C, j = k - i * C;
  T_STORE(d, doff + k, j == tg[toff + i * ts] ? -T_LOAD(g, goff + i * gs) * scale : (T_ACC)0);
}
