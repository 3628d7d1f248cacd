// Scaled dot-product attention's row kernels (roles: T the floating dtype): the causal mask
// from indices, softmax and dropout forward; the softmax gradient with the dropout mask redrawn
// backward (core/kernels/attention.h). Operands are contiguous (B, L, S): row r starts at
// r * S and is query r % L. Like softmax.cl, *_items kernels give each row to one work-item,
// the others to one work-group. Arithmetic in T_ACC, as the CPU reference.

#define WG_MAX 256

// Tree-combines sh[0..wg) into sh[0] (wg a power of two); every work-item must reach it.
#define TREE(COMBINE)                                  \
  barrier(CLK_LOCAL_MEM_FENCE);                        \
  for (int s_ = wg / 2; s_ > 0; s_ >>= 1) {            \
    if (lid < s_) { COMBINE; }                         \
    barrier(CLK_LOCAL_MEM_FENCE);                      \
  }

inline T_ACC max_keep(T_ACC m, T_ACC v) { return m < v ? v : m; }

// Dropout's mask value of element i: keep when its 32-bit uniform of the splitmix64 stream
// (low half of value i/2 for even i, high half for odd) is >= threshold, else 0.
inline T_ACC drop_mask(ulong seed, ulong i, ulong threshold, T_ACC keep) {
  const ulong r = EMBER_SPLITMIX64(ulong, seed, i / 2);
  const ulong u = (i % 2) ? (r >> 32) : (r & 0xffffffffUL);
  return u >= threshold ? keep : (T_ACC)0;
}

// One row's outputs once its max m and 1/sum inv are known: p (and pd) for columns j0, j0+step...
inline void fwd_store(__global const T* s, __global T* p, __global T* pd, int has_pd, long base, long n, long S,
                      T_ACC m, T_ACC inv, long j0, long step, ulong seed, ulong first, ulong threshold,
                      T_ACC keep) {
  for (long j = j0; j < S; j += step) {
    const T_ACC y = j < n ? exp(T_LOAD(s, base + j) - m) * inv : (T_ACC)0;
    T_STORE(p, base + j, y);
    if (has_pd)
      T_STORE(pd, base + j, T_LOAD(p, base + j) * drop_mask(seed, first + (ulong)(base + j), threshold, keep));
  }
}

__kernel void attn_fwd(__global const T* s, long soff, __global T* p, long poff, __global T* pd, long pdoff, int has_pd,
                       long L, long S, int causal, ulong seed, ulong first, ulong threshold, T_ACC keep) {
  __local T_ACC sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long r = get_group_id(0), base = r * S;
  const long n = causal ? EMBER_CAUSAL_KEYS(r % L, S) : S;
  s += soff, p += poff, pd += pdoff;
  T_ACC m = -INFINITY;
  for (long j = lid; j < n; j += wg) m = max_keep(m, T_LOAD(s, base + j));
  sh[lid] = m;
  TREE(sh[lid] = max_keep(sh[lid], sh[lid + s_]));
  m = sh[0];
  if (isinf(m) && m < 0) m = 0;
  barrier(CLK_LOCAL_MEM_FENCE);  // everyone has read sh[0]
  T_ACC acc = 0;
  for (long j = lid; j < n; j += wg) acc += exp(T_LOAD(s, base + j) - m);
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s_]);
  fwd_store(s, p, pd, has_pd, base, n, S, m, (T_ACC)1 / sh[0], lid, wg, seed, first, threshold, keep);
}

__kernel void attn_fwd_items(__global const T* s, long soff, __global T* p, long poff, __global T* pd, long pdoff,
                             int has_pd, long L, long S, int causal, ulong seed, ulong first, ulong threshold,
                             T_ACC keep, long rows) {
  const long r = get_global_id(0);
  if (r >= rows) return;
  const long base = r * S, n = causal ? EMBER_CAUSAL_KEYS(r % L, S) : S;
  s += soff, p += poff, pd += pdoff;
  T_ACC m = -INFINITY;
  for (long j = 0; j < n; ++j) m = max_keep(m, T_LOAD(s, base + j));
  if (isinf(m) && m < 0) m = 0;
  T_ACC acc = 0;
  for (long j = 0; j < n; ++j) acc += exp(T_LOAD(s, base + j) - m);
  fwd_store(s, p, pd, has_pd, base, n, S, m, (T_ACC)1 / acc, 0, 1, seed, first, threshold, keep);
}

// The masked gradient of element j of a row (g = dpd * mask when dropped).
inline T_ACC masked_grad(__global const T* dpd, long base, long j, int dropped, ulong seed, ulong first,
                         ulong threshold, T_ACC keep) {
  const T_ACC g = T_LOAD(dpd, base + j);
  return dropped ? g * drop_mask(seed, first + (ulong)(base + j), threshold, keep) : g;
}

inline void bwd_store(__global const T* dpd, __global const T* p, __global T* ds, long base, long n, long S, T_ACC dot,
                      T_ACC scale, long j0, long step, int dropped, ulong seed, ulong first, ulong threshold,
                      T_ACC keep) {
  for (long j = j0; j < S; j += step) {
    T_ACC v = 0;
    if (j < n) {
      const T_ACC g = masked_grad(dpd, base, j, dropped, seed, first, threshold, keep);
      v = EMBER_SOFTMAX_GRAD(T_LOAD(p, base + j), g, dot, scale);
    }
    T_STORE(ds, base + j, v);
  }
}

__kernel void attn_bwd(__global const T* dpd, long goff, __global const T* p, long poff, __global T* ds, long doff,
                       long L, long S, int causal, T_ACC scale, int dropped, ulong seed, ulong first,
                       ulong threshold, T_ACC keep) {
  __local T_ACC sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long r = get_group_id(0), base = r * S;
  const long n = causal ? EMBER_CAUSAL_KEYS(r % L, S) : S;
  dpd += goff, p += poff, ds += doff;
  T_ACC acc = 0;
  for (long j = lid; j < n; j += wg)
    acc += masked_grad(dpd, base, j, dropped, seed, first, threshold, keep) * T_LOAD(p, base + j);
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s_]);
  bwd_store(dpd, p, ds, base, n, S, sh[0], scale, lid, wg, dropped, seed, first, threshold, keep);
}

__kernel void attn_bwd_items(__global const T* dpd, long goff, __global const T* p, long poff, __global T* ds,
                             long doff, long L, long S, int causal, T_ACC scale, int dropped, ulong seed,
                             ulong first, ulong threshold, T_ACC keep, long rows) {
  const long r = get_global_id(0);
  if (r >= rows) return;
  const long base = r * S, n = causal ? EMBER_CAUSAL_KEYS(r % L, S) : S;
  dpd += goff, p += poff, ds += doff;
  T_ACC acc = 0;
  for (long j = 0; j < n; ++j)
    acc += masked_grad(dpd, base, j, dropped, seed, first, threshold, keep) * T_LOAD(p, base + j);
  bwd_store(dpd, p, ds, base, n, S, acc, scale, 0, 1, dropped, seed, first, threshold, keep);
}
