// Shared by every ember OpenCL program (prepended before the dtype preambles): the per-element
// formulas and op list every backend shares (core/kernel_formulas.h, pasted in by
// cmake/embed_cl.cmake), the strided view descriptor, index arithmetic and bfloat16 conversions.

#include "core/kernel_formulas.h"
// The names kernel_formulas.h calls: OpenCL's builtins, overloaded for float and double.
#define ember_exp exp
#define ember_erf erf

#define EMBER_MAX_DIMS 8

// A strided view: element offset, then sizes and strides (in elements) of up to 8 dims.
// Layout mirrors ClStrided in launch.h.
typedef struct {
  long offset;
  int ndim;
  int pad;
  long sizes[EMBER_MAX_DIMS];
  long strides[EMBER_MAX_DIMS];
} Strided;

// Element offset of the i-th element (row-major order over sizes) of view s.
inline long strided_offset(const Strided* s, long i) {
  long off = s->offset;
  for (int d = s->ndim - 1; d >= 0; --d) {
    const long sz = s->sizes[d];
    off += (i % sz) * s->strides[d];
    i /= sz;
  }
  return off;
}

// bfloat16 is stored as ushort: the top half of a float32, rounded to nearest even.
inline float bf16_to_float(ushort v) { return as_float(((uint)v) << 16); }
inline ushort float_to_bf16(float f) {
  uint u = as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 0x40u);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return (ushort)(u >> 16);
}
