// Copy with dtype conversion (roles S -> D) over any strides (`contig`: both dense). D_STORE
// converts: to bool is != 0, float to integer truncates toward zero, to 16-bit floats rounds
// to nearest even.

__kernel void copy_convert(__global const S* src, Strided sv, __global D* dst, Strided dv, long n, int contig) {
  const long i = get_global_id(0);
  if (i >= n) return;
  const long si = contig ? sv.offset + i : strided_offset(&sv, i);
  const long di = contig ? dv.offset + i : strided_offset(&dv, i);
  D_STORE(dst, di, S_LOAD(src, si));
}
