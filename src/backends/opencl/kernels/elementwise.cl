// Elementwise unary, binary and where() over role T. Every kernel takes each operand as a
// buffer + Strided view; `contig` (all operands dense) lets it index offset + i directly.
// Op codes are kernels::UnaryOp / kernels::BinaryOp, generated from the same list
// (EMBER_UNARY_OPS / EMBER_BINARY_OPS in core/kernel_formulas.h), as are the formulas.

#define AT(v, i) (contig ? (v).offset + (i) : strided_offset(&(v), (i)))

#define U_OP(Enum, name, domain, result) U_##Enum,
#define B_OP(Enum, name, domain, result) B_##Enum,
enum { EMBER_UNARY_OPS(U_OP) };
enum { EMBER_BINARY_OPS(B_OP) };
#undef U_OP
#undef B_OP

inline T_ACC unary_apply(int op, T_ACC v, T_ACC p0, T_ACC p1, int has_lo, int has_hi) {
  switch (op) {
    case U_Neg: return -v;
    case U_Abs: return v < (T_ACC)0 ? -v : v;
    case U_Square: return v * v;
    case U_Sign: return (T_ACC)(((T_ACC)0 < v) - (v < (T_ACC)0));
    case U_Relu: return EMBER_RELU(T_ACC, v);
    case U_Clamp:
#if T_IS_FLOAT
      if (isnan(v)) return v;
#endif
      return EMBER_CLAMP(T_ACC, T_ACC, v, p0, p1, has_lo, has_hi);
#if T_IS_FLOAT
    case U_Exp: return exp(v);
    case U_Log: return log(v);
    case U_Sqrt: return sqrt(v);
    case U_Tanh: return tanh(v);
    case U_Sigmoid: return EMBER_SIGMOID(T_ACC, v);
    case U_Gelu: return EMBER_GELU(T_ACC, v);
    case U_Reciprocal: return (T_ACC)1 / v;
    case U_PowScalar: return pow(v, p0);
    case U_LeakyRelu: return EMBER_LEAKY_RELU(T_ACC, v, p0);
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
    case B_Add: return x + y;
    case B_Sub: return x - y;
    case B_Mul: return x * y;
    case B_Div: return x / y;  // integer division by zero never reaches here (the CPU raises it)
    case B_Maximum:
#if T_IS_FLOAT
      if (isnan(x) || isnan(y)) return NAN;
#endif
      return x > y ? x : y;
    case B_Minimum:
#if T_IS_FLOAT
      if (isnan(x) || isnan(y)) return NAN;
#endif
      return x < y ? x : y;
#if T_IS_FLOAT
    case B_Pow: return pow(x, y);
    case B_ReluBackward: return y > (T_ACC)0 ? x : (T_ACC)0;
    case B_GeluBackward: return EMBER_GELU_BACKWARD(T_ACC, x, y);  // x = grad, y = input
#else
    case B_Pow: {
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
    case B_Eq: return x == y;
    case B_Ne: return x != y;
    case B_Lt: return x < y;
    case B_Le: return x <= y;
    case B_Gt: return x > y;
    case B_Ge: return x >= y;
    case B_LogicalAnd: return x != (T_ACC)0 && y != (T_ACC)0;
    case B_LogicalOr: return x != (T_ACC)0 || y != (T_ACC)0;
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
