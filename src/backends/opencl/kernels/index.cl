// Indexing along one dim d (role I: the index dtype, int or long). A program holds either the
// gather kernel (role G: the same-width integer type of the data: gather moves raw bits, one
// work-item per output element) or the scatter_add kernel (role T: the data dtype).
// scatter_add: one work-item per position outside d walks that position's indices in order and
// accumulates into its own output elements: no two work-items share an output element, so the
// sums need no atomics and are deterministic, rounded to T after every addition as the CPU
// reference does.

#define AT(v, i) (contig ? (v).offset + (i) : strided_offset(&(v), (i)))

// out[p] = in[p with coordinate d replaced by index[p]]: iv walks in with stride 0 along d.
#ifdef G_LOAD
__kernel void gather(__global const G* in, Strided iv, long sd, __global const I* idx, Strided xv, __global G* out,
                     Strided ov, long n, int contig) {
  const long i = get_global_id(0);
  if (i >= n) return;
  out[AT(ov, i)] = in[AT(iv, i) + (long)idx[AT(xv, i)] * sd];
}
#endif

// For each position p (of P) outside d: out[p, index[p, j]] += src[p, j] for j = 0..m-1.
#ifdef T_LOAD
__kernel void scatter_add(__global const T* src, Strided sv, long s_sd, __global const I* idx, Strided xv, long i_sd,
                          __global T* out, Strided ov, long o_sd, long m, long P) {
  const long p = get_global_id(0);
  if (p >= P) return;
  const long sb = strided_offset(&sv, p), ib = strided_offset(&xv, p), ob = strided_offset(&ov, p);
  for (long j = 0; j < m; ++j) {
    const long o = ob + (long)idx[ib + j * i_sd] * o_sd;
    T_STORE(out, o, T_LOAD(out, o) + T_LOAD(src, sb + j * s_sd));
  }
}
#endif
