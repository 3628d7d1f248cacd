// Elementwise unary, binary and where() over role T. Every kernel takes each operand as a
// buffer + Strided view; `contig` (all operands dense) lets it index offset + i directly.
// Op codes mirror kernels::UnaryOp / kernels::BinaryOp (src/core/kernels/elementwise.h).

#define AT(v, i) (contig ? (v).offset + (i) : strided_offset(&(v), (i)))

enum { U_NEG, U_EXP, U_LOG, U_SQRT, U_ABS, U_TANH, U_SIGMOID, U_RELU, U_GELU, U_CLAMP, U_SIGN, U_SQUARE,
       U_RECIPROCAL, U_POW_SCALAR, U_LOGICAL_NOT };
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAXIMUM, B_MINIMUM, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
       B_GELU_BACKWARD, B_RELU_BACKWARD, B_LOGICAL_AND, B_LOGICAL_OR };

inline T_ACC unary_apply(int op, T_ACC v, T_ACC p0, T_ACC p1, int has_lo, int has_hi) {
  switch (op) {
    case U_NEG: return -v;
    case U_ABS: return v < (T_ACC)0 ? -v : v;
    case U_SQUARE: return v * v;
    case U_SIGN: return (T_ACC)(((T_ACC)0 < v) - (v < (T_ACC)0));
    case U_RELU: return v > (T_ACC)0 ? v : (T_ACC)0;
    case U_CLAMP:
#if T_IS_FLOAT
      if (isnan(v)) return v;
#endif
      if (has_lo && v < p0) return p0;
      if (has_hi && v > p1) return p1;
      return v;
#if T_IS_FLOAT
    case U_EXP: return exp(v);
    case U_LOG: return log(v);
    case U_SQRT: return sqrt(v);
    case U_TANH: return tanh(v);
    case U_SIGMOID: return (T_ACC)1 / ((T_ACC)1 + exp(-v));
    case U_GELU: return (T_ACC)0.5 * v * ((T_ACC)1 + erf(v * (T_ACC)0.70710678118654752440));
    case U_RECIPROCAL: return (T_ACC)1 / v;
    case U_POW_SCALAR: return pow(v, p0);
#endif
  }
  return v;
}

__kernel void unary(__global const T* in, Strided iv, __global T* out, Strided ov, long n, int contig, int op,
                    T_ACC p0, T_ACC p1, int has_lo, int has_hi) {
  const long i = get_global_id(0);
  if (i >= n) return;
  T_STORE(out, AT(ov, i), unary_apply(op, T_LOAD(in, AT(iv, i)), p0, p1, has_lo, has_hi));
}

__kernel void logical_not(__global const T* in, Strided iv, __global uchar* out, Strided ov, long n, int contig) {
  const long i = get_global_id(0);
  if (i >= n) return;
  out[AT(ov, i)] = T_LOAD(in, AT(iv, i)) == (T_ACC)0;
}

inline T_ACC binary_apply(int op, T_ACC x, T_ACC y) {
  switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;  // integer division by zero never reaches here (the CPU raises it)
    case B_MAXIMUM:
#if T_IS_FLOAT
      if (isnan(x) || isnan(y)) return NAN;
#endif
      return x > y ? x : y;
    case B_MINIMUM:
#if T_IS_FLOAT
      if (isnan(x) || isnan(y)) return NAN;
#endif
      return x < y ? x : y;
#if T_IS_FLOAT
    case B_POW: return pow(x, y);
    case B_RELU_BACKWARD: return y > (T_ACC)0 ? x : (T_ACC)0;
    case B_GELU_BACKWARD: {  // x = grad, y = input
      const T_ACC cdf = (T_ACC)0.5 * ((T_ACC)1 + erf(y * (T_ACC)0.70710678118654752440));
      const T_ACC pdf = exp((T_ACC)-0.5 * y * y) * (T_ACC)0.3989422804014327;
      return x * (cdf + y * pdf);
    }
#else
    case B_POW: {
      T_ACC r = 1;
      for (long k = 0; k < (long)y; ++k) r *= x;
      return r;
    }
#endif
  }
  return x;
}

__kernel void binary(__global const T* a, Strided av, __global const T* b, Strided bv, __global T* out, Strided ov,
                     long n, int contig, int op) {
  const long i = get_global_id(0);
  if (i >= n) return;
  T_STORE(out, AT(ov, i), binary_apply(op, T_LOAD(a, AT(av, i)), T_LOAD(b, AT(bv, i))));
}

inline int compare_apply(int op, T_ACC x, T_ACC y) {
  switch (op) {
    case B_EQ: return x == y;
    case B_NE: return x != y;
    case B_LT: return x < y;
    case B_LE: return x <= y;
    case B_GT: return x > y;
    case B_GE: return x >= y;
    case B_LOGICAL_AND: return x != (T_ACC)0 && y != (T_ACC)0;
    case B_LOGICAL_OR: return x != (T_ACC)0 || y != (T_ACC)0;
  }
  return 0;
}

__kernel void compare(__global const T* a, Strided av, __global const T* b, Strided bv, __global uchar* out,
                      Strided ov, long n, int contig, int op) {
  const long i = get_global_id(0);
  if (i >= n) return;
  out[AT(ov, i)] = (uchar)compare_apply(op, T_LOAD(a, AT(av, i)), T_LOAD(b, AT(bv, i)));
}

__kernel void where_select(__global const uchar* cond, Strided cv, __global const T* a, Strided av,
                           __global const T* b, Strided bv, __global T* out, Strided ov, long n, int contig) {
  const long i = get_global_id(0);
  if (i >= n) return;
  T_STORE(out, AT(ov, i), cond[AT(cv, i)] ? T_LOAD(a, AT(av, i)) : T_LOAD(b, AT(bv, i)));
}
