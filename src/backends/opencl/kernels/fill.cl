// Fill of a strided view with one element's bytes (role D is an integer type of the element's
// width: the host converts the value exactly as the CPU does and passes its bits).

__kernel void fill_strided(__global D* dst, Strided dv, D bits, long n) {
  const long i = get_global_id(0);
  if (i >= n) return;
  dst[strided_offset(&dv, i)] = bits;
}
