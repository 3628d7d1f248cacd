// Matmul helpers around the CLBlast GEMM (role T: float or double): the prologue that folds
// beta * C and the bias into C before a GEMM with beta = 1 (or that is the whole product
// when K = 0), and the in-order sum of the parts of a split-K GEMM (gemm.cpp).

// c[i] = (beta != 0 ? beta * c[i] : 0) + (has_bias ? bias[boff + (i % N) * bstride] : 0) for
// the n elements of c (view cv, row-major order over c's sizes, last dim N).
__kernel void matmul_prologue(__global T* c, Strided cv, __global const T* bias, long boff, long bstride,
                              int has_bias, T_ACC beta, long n, long N) {
  const long i = get_global_id(0);
  if (i >= n) return;
  const long ci = strided_offset(&cv, i);
  T_ACC v = beta != (T_ACC)0 ? beta * T_LOAD(c, ci) : (T_ACC)0;
  if (has_bias) v += T_LOAD(bias, boff + (i % N) * bstride);
  T_STORE(c, ci, v);
}

// c[r, j] = (beta != 0 ? beta * c[r, j] : 0) + sum over s of part[s, r, j] (s ascending), for
// the m x n matrix c at coff with row stride ldc: the reduction of a split-K GEMM.
__kernel void sum_splits(__global const T* part, long S, long m, long n, __global T* c, long coff, long ldc,
                         T_ACC beta) {
  const long i = get_global_id(0);
  if (i >= m * n) return;
  T_ACC acc = (T_ACC)0;
  for (long s = 0; s < S; ++s) acc += T_LOAD(part, s * m * n + i);
  const long ci = coff + (i / n) * ldc + i % n;
  T_STORE(c, ci, (beta != (T_ACC)0 ? beta * T_LOAD(c, ci) : (T_ACC)0) + acc);
}
