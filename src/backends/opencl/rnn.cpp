// OpenCL gate kernels of the recurrent layers (core/kernels/rnn.h, kernels/rnn.cl): one
// work-item per hidden unit of a time step; float32 and float64.
#include "core/kernels/rnn.h"
#include "launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {

/// Appends each operand as buffer, offset, row stride.
Launch& rows(Launch& l, std::initializer_list<const TensorArg*> ts) {
  for (const TensorArg* t : ts) l.tensor(*t).value(static_cast<cl_long>(t->strides[0]));
  return l;
}

void check(const char* kernel, std::initializer_list<const TensorArg*> ts) {
  for (const TensorArg* t : ts)
    EMBER_CHECK(t->dim() == 2 && (t->sizes[1] <= 1 || t->strides[1] == 1), kernel,
                " kernel: operands must be (B, k*H) rows with unit inner stride");
}

void launch(const char* name, DType dt, std::initializer_list<const TensorArg*> ts, int64_t B, int64_t H) {
  check(name, ts);
  ClDevice& dev = device_of(**ts.begin());
  Launch l(dev, dev.kernel("rnn", {{"T", dt}}, name));
  rows(l, ts).value(static_cast<cl_long>(B)).value(static_cast<cl_long>(H)).run(static_cast<size_t>(B * H));
}

void lstm_cell_forward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& h) {
  launch("lstm_cell_forward", gates.dtype, {&gates, &c_prev, &c, &h}, c.sizes[0], c.sizes[1]);
}

void lstm_cell_backward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c, const TensorArg& dh_out,
                        const TensorArg& dh, const TensorArg& dc, const TensorArg& dgates) {
  launch("lstm_cell_backward", gates.dtype, {&gates, &c_prev, &c, &dh_out, &dh, &dc, &dgates}, c.sizes[0], c.sizes[1]);
}

void gru_cell_forward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& h) {
  launch("gru_cell_forward", gi.dtype, {&gi, &gh, &h_prev, &h}, h.sizes[0], h.sizes[1]);
}

void gru_cell_backward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& dh_out,
                       const TensorArg& dh, const TensorArg& dgi, const TensorArg& dgh) {
  launch("gru_cell_backward", gi.dtype, {&gi, &gh, &h_prev, &dh_out, &dh, &dgi, &dgh}, h_prev.sizes[0],
         h_prev.sizes[1]);
}

}  // namespace

void register_rnn_kernels(KernelTable& t, DTypeMask computes) {
  const DTypeMask floats = computes & (dtype_bit(DType::Float32) | dtype_bit(DType::Float64));
  t.set(kernels::kLstmCellForward, lstm_cell_forward, floats);
  t.set(kernels::kLstmCellBackward, lstm_cell_backward, floats);
  t.set(kernels::kGruCellForward, gru_cell_forward, floats);
  t.set(kernels::kGruCellBackward, gru_cell_backward, floats);
}

}  // namespace ember::opencl
