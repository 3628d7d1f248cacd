// Reductions over the last dims of a [kept..., reduced...] view (roles: T the input, A the sum
// accumulator: double for floats when the device has fp64, long for integers). Each output
// row r starts at strided_offset(&kv, r); element j of its reduced block lies rv-offset j
// further on (rv.offset is 0). Each row is split into G chunks (G = 1: the kernel writes the
// output; else a partial result per chunk that *_finish combines, one work-group per row):
//   *_items:  one work-item per (row, chunk), a serial loop (small blocks, and CPU devices,
//             where work-groups with barriers are costly and one runs on one core anyway);
//   *_group:  one work-group per (row, chunk) with a local-memory tree.
// Max/Min keep the first extremum (lowest flat index), a NaN counting as the extremum.

#define WG_MAX 256

inline long red_off(const Strided* v, long j) { return v->ndim == 1 ? j * v->strides[0] : strided_offset(v, j); }

// Whether candidate (v, j) beats the best so far (b, bi); bi < 0 means no best yet, j < 0 no
// candidate. A NaN beats any number; ties (and NaN vs NaN) go to the lower index.
inline int ext_better(int is_max, T_ACC v, long j, T_ACC b, long bi) {
  if (j < 0) return 0;
  if (bi < 0) return 1;
#if T_IS_FLOAT
  const int vn = isnan(v), bn = isnan(b);
  if (bn) return vn && j < bi;
  if (vn) return 1;
#endif
  if (is_max ? v > b : v < b) return 1;
  return v == b && j < bi;
}

// ---- one work-item per (row, chunk) ---------------------------------------------------------

// Steps through the reduced block in row-major order without a division per element.
typedef struct {
  long idx[EMBER_MAX_DIMS];
  long off;
} Walker;

inline void walk_init(Walker* w, const Strided* v, long j) {
  w->off = 0;
  for (int d = v->ndim - 1; d >= 0; --d) {
    w->idx[d] = j % v->sizes[d];
    j /= v->sizes[d];
    w->off += w->idx[d] * v->strides[d];
  }
}

inline void walk_next(Walker* w, const Strided* v) {
  for (int d = v->ndim - 1; d >= 0; --d) {
    w->off += v->strides[d];
    if (++w->idx[d] < v->sizes[d]) return;
    w->off -= v->strides[d] * v->sizes[d];
    w->idx[d] = 0;
  }
}

// Runs the body for j in [b, e) with off the element offset of j in the reduced block.
#define CHUNK_LOOP(...)                                                   \
  if (rv.ndim <= 1) {                                                     \
    const long st = rv.ndim ? rv.strides[0] : 0;                          \
    for (long j = b; j < e; ++j) {                                        \
      const long off = j * st;                                            \
      __VA_ARGS__;                                                        \
    }                                                                     \
  } else {                                                                \
    Walker w;                                                             \
    walk_init(&w, &rv, b);                                                \
    for (long j = b; j < e; ++j, walk_next(&w, &rv)) {                    \
      const long off = w.off;                                             \
      __VA_ARGS__;                                                        \
    }                                                                     \
  }

// The chunk [b, e) of row r handled by work-item i of n_items: chunk i % G of row i / G.
#define ITEM_RANGE                                                \
  const long i = get_global_id(0);                                \
  if (i >= n_items) return;                                       \
  const long r = i / G, b = (i % G) * chunk, e = min(n_red, b + chunk)

__kernel void sum_items(__global const T* in, Strided kv, Strided rv, long n_red, long chunk, long G, long n_items,
                        __global T* out, long ooff, __global A_ACC* part) {
  ITEM_RANGE;
  const long base = strided_offset(&kv, r);
  A_ACC acc = 0;
  CHUNK_LOOP(acc += (A_ACC)T_LOAD(in, base + off));
  if (G == 1) T_STORE(out, ooff + r, (T_ACC)acc);
  else part[i] = acc;
}

__kernel void ext_items(__global const T* in, Strided kv, Strided rv, long n_red, long chunk, long G, long n_items,
                        int is_max, __global T* out, long ooff, __global long* idx, long ioff, int has_idx,
                        __global T_ACC* pv, __global long* pi) {
  ITEM_RANGE;
  const long base = strided_offset(&kv, r);
  T_ACC best = 0;
  long bi = -1;
  CHUNK_LOOP(const T_ACC v = T_LOAD(in, base + off); if (ext_better(is_max, v, j, best, bi)) { best = v; bi = j; });
  if (G == 1) {
    T_STORE(out, ooff + r, best);
    if (has_idx) idx[ioff + r] = bi;
  } else {
    pv[i] = best;
    pi[i] = bi;
  }
}

// Any/All partials hold two flags per chunk: bit 0 = some nonzero, bit 1 = all nonzero.
__kernel void anyall_items(__global const T* in, Strided kv, Strided rv, long n_red, long chunk, long G,
                           long n_items, int is_all, __global uchar* out, long ooff, __global int* part) {
  ITEM_RANGE;
  const long base = strided_offset(&kv, r);
  int any = 0, all = 1;
  CHUNK_LOOP(const int nz = T_LOAD(in, base + off) != (T_ACC)0; any |= nz; all &= nz);
  if (G == 1) out[ooff + r] = (uchar)(is_all ? all : any);
  else part[i] = any | (all << 1);
}

// ---- one work-group per (row, chunk) -------------------------------------------------------

// Tree-combines sh[0..wg) into sh[0] (wg a power of two); every work-item must call it.
#define TREE(COMBINE)                                  \
  barrier(CLK_LOCAL_MEM_FENCE);                        \
  for (int s = wg / 2; s > 0; s >>= 1) {               \
    if (lid < s) { COMBINE; }                          \
    barrier(CLK_LOCAL_MEM_FENCE);                      \
  }

// The chunk [b, e) of row r handled by this group: chunk c of G, each of `chunk` elements.
#define GROUP_RANGE                                               \
  const int lid = get_local_id(0), wg = get_local_size(0);        \
  const long grp = get_group_id(0), r = grp / G;                  \
  const long b = (grp % G) * chunk, e = min(n_red, b + chunk)

__kernel void sum_group(__global const T* in, Strided kv, Strided rv, long n_red, long chunk, long G,
                        __global T* out, long ooff, __global A_ACC* part) {
  __local A_ACC sh[WG_MAX];
  GROUP_RANGE;
  const long base = strided_offset(&kv, r);
  A_ACC acc = 0;
  for (long j = b + lid; j < e; j += wg) acc += (A_ACC)T_LOAD(in, base + red_off(&rv, j));
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s]);
  if (lid == 0) {
    if (G == 1) T_STORE(out, ooff + r, (T_ACC)sh[0]);
    else part[grp] = sh[0];
  }
}

__kernel void sum_finish(__global const A_ACC* part, long G, __global T* out, long ooff) {
  __local A_ACC sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long r = get_group_id(0);
  A_ACC acc = 0;
  for (long j = lid; j < G; j += wg) acc += part[r * G + j];
  sh[lid] = acc;
  TREE(sh[lid] += sh[lid + s]);
  if (lid == 0) T_STORE(out, ooff + r, (T_ACC)sh[0]);
}

#define EXT_COMBINE                                                               \
  if (ext_better(is_max, sv[lid + s], si[lid + s], sv[lid], si[lid])) {          \
    sv[lid] = sv[lid + s];                                                        \
    si[lid] = si[lid + s];                                                        \
  }

__kernel void ext_group(__global const T* in, Strided kv, Strided rv, long n_red, long chunk, long G, int is_max,
                        __global T* out, long ooff, __global long* idx, long ioff, int has_idx,
                        __global T_ACC* pv, __global long* pi) {
  __local T_ACC sv[WG_MAX];
  __local long si[WG_MAX];
  GROUP_RANGE;
  const long base = strided_offset(&kv, r);
  T_ACC best = 0;
  long bi = -1;
  for (long j = b + lid; j < e; j += wg) {
    const T_ACC v = T_LOAD(in, base + red_off(&rv, j));
    if (ext_better(is_max, v, j, best, bi)) best = v, bi = j;
  }
  sv[lid] = best;
  si[lid] = bi;
  TREE(EXT_COMBINE);
  if (lid == 0) {
    if (G == 1) {
      T_STORE(out, ooff + r, sv[0]);
      if (has_idx) idx[ioff + r] = si[0];
    } else {
      pv[grp] = sv[0];
      pi[grp] = si[0];
    }
  }
}

__kernel void ext_finish(__global const T_ACC* pv, __global const long* pi, long G, int is_max, __global T* out,
                         long ooff, __global long* idx, long ioff, int has_idx) {
  __local T_ACC sv[WG_MAX];
  __local long si[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long r = get_group_id(0);
  T_ACC best = 0;
  long bi = -1;
  for (long j = lid; j < G; j += wg)
    if (ext_better(is_max, pv[r * G + j], pi[r * G + j], best, bi)) best = pv[r * G + j], bi = pi[r * G + j];
  sv[lid] = best;
  si[lid] = bi;
  TREE(EXT_COMBINE);
  if (lid == 0) {
    T_STORE(out, ooff + r, sv[0]);
    if (has_idx) idx[ioff + r] = si[0];
  }
}

__kernel void anyall_group(__global const T* in, Strided kv, Strided rv, long n_red, long chunk, long G,
                           int is_all, __global uchar* out, long ooff, __global int* part) {
  __local int sh[WG_MAX];
  GROUP_RANGE;
  const long base = strided_offset(&kv, r);
  int any = 0, all = 1;
  for (long j = b + lid; j < e; j += wg) {
    const int nz = T_LOAD(in, base + red_off(&rv, j)) != (T_ACC)0;
    any |= nz;
    all &= nz;
  }
  sh[lid] = any | (all << 1);
  TREE(sh[lid] = (sh[lid] | sh[lid + s]) & (1 | (sh[lid] & sh[lid + s])));
  if (lid == 0) {
    if (G == 1) out[ooff + r] = (uchar)(is_all ? (sh[0] >> 1) & 1 : sh[0] & 1);
    else part[grp] = sh[0];
  }
}

__kernel void anyall_finish(__global const int* part, long G, int is_all, __global uchar* out, long ooff) {
  __local int sh[WG_MAX];
  const int lid = get_local_id(0), wg = get_local_size(0);
  const long r = get_group_id(0);
  int f = 2;  // the empty set: none nonzero, all nonzero
  for (long j = lid; j < G; j += wg) f = (f | part[r * G + j]) & (1 | (f & part[r * G + j]));
  sh[lid] = f;
  TREE(sh[lid] = (sh[lid] | sh[lid + s]) & (1 | (sh[lid] & sh[lid + s])));
  if (lid == 0) out[ooff + r] = (uchar)(is_all ? (sh[0] >> 1) & 1 : sh[0] & 1);
}
