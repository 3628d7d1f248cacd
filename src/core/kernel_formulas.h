/* The one source of ember's per-element kernel maths and elementwise op list, written in the
   common subset of C++ (host and CUDA) and OpenCL C, so every backend compiles the same text:
   - C++ and CUDA include it through core/kernel_math.h (typed __host__ __device__ wrappers) and
     core/kernels/elementwise.h (the op enums, names and dtype rules);
   - OpenCL gets it inlined into every program: kernels/common.cl includes it and
     cmake/embed_cl.cmake pastes quoted includes into the embedded source.
   Only the preprocessor and expressions are shared (no templates, no overloads of our own):
   each formula is an expression macro over a compute type R. The caller provides ember_exp and
   ember_erf for R (kernel_math.h in C++; OpenCL's builtins, see common.cl).
   Requires of callers: arguments are plain expressions without side effects (they may be
   evaluated more than once). */
#ifndef EMBER_CORE_KERNEL_FORMULAS_H
#define EMBER_CORE_KERNEL_FORMULAS_H

/* ---- elementwise ops: X(Enum, public name, dtype domain, result) -------------------------
   The order is the numbering of kernels::UnaryOp / kernels::BinaryOp (and of the op codes the
   OpenCL and CUDA kernels receive): append new ops at the end.
   Domain: Any (every dtype), NotBool (every dtype but bool), Floating (float dtypes only).
   Result: Same (the operands' dtype) or Bool. */
#define EMBER_UNARY_OPS(X)                    \
  X(Neg, "neg", NotBool, Same)                \
  X(Exp, "exp", Floating, Same)               \
  X(Log, "log", Floating, Same)               \
  X(Sqrt, "sqrt", Floating, Same)             \
  X(Abs, "abs", NotBool, Same)                \
  X(Tanh, "tanh", Floating, Same)             \
  X(Sigmoid, "sigmoid", Floating, Same)       \
  X(Relu, "relu", Any, Same)                  \
  X(Gelu, "gelu", Floating, Same)             \
  X(Clamp, "clamp", Any, Same)                \
  X(Sign, "sign", Any, Same)                  \
  X(Square, "square", Any, Same)              \
  X(Reciprocal, "reciprocal", Floating, Same) \
  X(PowScalar, "pow", Floating, Same)         \
  X(LogicalNot, "logical_not", Any, Bool)     \
  X(LeakyRelu, "leaky_relu", Floating, Same)

#define EMBER_BINARY_OPS(X)                          \
  X(Add, "add", Any, Same)                           \
  X(Sub, "sub", Any, Same)                           \
  X(Mul, "mul", Any, Same)                           \
  X(Div, "div", Any, Same)                           \
  X(Pow, "pow", NotBool, Same)                       \
  X(Maximum, "maximum", Any, Same)                   \
  X(Minimum, "minimum", Any, Same)                   \
  X(Eq, "eq", Any, Bool)                             \
  X(Ne, "ne", Any, Bool)                             \
  X(Lt, "lt", Any, Bool)                             \
  X(Le, "le", Any, Bool)                             \
  X(Gt, "gt", Any, Bool)                             \
  X(Ge, "ge", Any, Bool)                             \
  X(GeluBackward, "gelu_backward", Floating, Same)   \
  X(ReluBackward, "relu_backward", Floating, Same)   \
  X(LogicalAnd, "logical_and", Any, Bool)            \
  X(LogicalOr, "logical_or", Any, Bool)

/* ---- constants ---------------------------------------------------------------------------- */
#define EMBER_SQRT1_2 0.70710678118654752440     /* 1/sqrt(2), M_SQRT1_2 */
#define EMBER_INV_SQRT_2PI 0.3989422804014327    /* 1/sqrt(2*pi) */

/* ---- activations, in compute type R ------------------------------------------------------- */
/* NaN test that needs no library (x != x only for NaN). */
#define EMBER_IS_NAN(x) ((x) != (x))
/* max(x, 0). */
#define EMBER_RELU(R, x) ((x) > (R)0 ? (x) : (R)0)
/* PyTorch's leaky_relu: x if x > 0, else x * slope (a NaN x stays NaN). */
#define EMBER_LEAKY_RELU(R, x, slope) ((x) > (R)0 ? (x) : (x) * (R)(slope))
/* 1 / (1 + exp(-x)). */
#define EMBER_SIGMOID(R, x) ((R)1 / ((R)1 + ember_exp(-(x))))
/* Exact GELU x * Phi(x), Phi the normal CDF (PyTorch's approximate='none'). */
#define EMBER_GELU(R, x) ((R)0.5 * (x) * ((R)1 + ember_erf((x) * (R)EMBER_SQRT1_2)))
/* g * GELU'(x) = g * (Phi(x) + x * phi(x)). */
#define EMBER_GELU_BACKWARD(R, g, x)                                     \
  ((g) * ((R)0.5 * ((R)1 + ember_erf((x) * (R)EMBER_SQRT1_2)) +          \
          (x) * (ember_exp((R)-0.5 * (x) * (x)) * (R)EMBER_INV_SQRT_2PI)))
/* v clamped to [lo, hi] where has_lo / has_hi; compared in type C, bounds returned as R
   (callers handle a NaN v first: floating NaN stays NaN). */
#define EMBER_CLAMP(R, C, v, lo, hi, has_lo, has_hi) \
  (((has_lo) && (C)(v) < (lo)) ? (R)(lo) : ((has_hi) && (C)(v) > (hi)) ? (R)(hi) : (v))

/* ---- pooling ------------------------------------------------------------------------------ */
/* PyTorch's adaptive bin i of n inputs into `out` bins: [floor(i*n/out), ceil((i+1)*n/out)).
   Swapping n and out gives the bins that may cover input i (the gather form of the backward). */
#define EMBER_ADAPTIVE_BIN_LO(i, n, out) (((i) * (n)) / (out))
#define EMBER_ADAPTIVE_BIN_HI(i, n, out) ((((i) + 1) * (n) + (out) - 1) / (out))

/* ---- recurrent cells (core/kernels/rnn.h), in compute type R ------------------------------
   Derivatives at an activation's output: s = sigmoid(x) gives s * (1 - s), t = tanh(x) 1 - t*t. */
#define EMBER_SIGMOID_GRAD_AT(R, s) ((s) * ((R)1 - (s)))
#define EMBER_TANH_GRAD_AT(R, t) ((R)1 - (t) * (t))
/* LSTM cell state from the activated gates: f * c_prev + i * g. */
#define EMBER_LSTM_CELL(i, f, g, c_prev) ((f) * (c_prev) + (i) * (g))
/* GRU hidden state, PyTorch's form of (1 - z) * n + z * h_prev. */
#define EMBER_GRU_HIDDEN(z, n, h_prev) ((n) + (z) * ((h_prev) - (n)))
/* ---- attention (scaled_dot_product_attention's row kernels) ------------------------------- */
/* The number of keys (of S) that query row i attends under PyTorch's top-left causal mask
   tril(ones(L, S)): keys j <= i. */
#define EMBER_CAUSAL_KEYS(i, S) ((i) + 1 < (S) ? (i) + 1 : (S))
/* One element of the scaled softmax gradient: scale * p * (g - dot), dot = sum_row(g * p). */
#define EMBER_SOFTMAX_GRAD(p, g, dot, scale) ((scale) * (p) * ((g) - (dot)))

/* ---- dropout's random stream -------------------------------------------------------------- */
/* Value number j of the splitmix64 stream seeded with seed, in the unsigned 64-bit type U
   (uint64_t in C++, ulong in OpenCL C); kernels::splitmix64 (core/kernels/fused.h) is this. */
#define EMBER_SPLITMIX64_STEP(U, z, shift, mul) (((z) ^ ((z) >> (shift))) * (U)(mul))
#define EMBER_SPLITMIX64_MIX(U, z) \
  EMBER_SPLITMIX64_STEP(U, EMBER_SPLITMIX64_STEP(U, z, 30, 0xbf58476d1ce4e5b9UL), 27, 0x94d049bb133111ebUL)
#define EMBER_SPLITMIX64(U, seed, j)                                                     \
  (EMBER_SPLITMIX64_MIX(U, (U)((seed) + ((U)(j) + 1) * (U)0x9e3779b97f4a7c15UL)) ^        \
   (EMBER_SPLITMIX64_MIX(U, (U)((seed) + ((U)(j) + 1) * (U)0x9e3779b97f4a7c15UL)) >> 31))

#endif /* EMBER_CORE_KERNEL_FORMULAS_H */
