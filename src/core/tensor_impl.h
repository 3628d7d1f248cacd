// TensorImpl and Storage: what a Tensor handle points to. Internal to ember (ops, autograd, backends glue).
#pragma once
#include <memory>

#include "core/backend.h"
#include "ember/tensor.h"

namespace ember {

/// A device buffer owned by one backend, freed through it.
struct Storage {
  Backend* backend = nullptr;
  void* data = nullptr;  // opaque device handle
  size_t nbytes = 0;
  Storage(Backend* b, size_t n) : backend(b), data(b->buffers().allocate(n)), nbytes(n) {}
  ~Storage() { backend->buffers().deallocate(data, nbytes); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape sizes;
  Shape strides;
  int64_t offset = 0;  // elements
  DType dtype = DType::Float32;

  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
  uint32_t output_nr = 0;
  std::weak_ptr<autograd::Node> grad_accumulator;  // for leaves

  Device device() const { return storage->backend->device(); }
  Backend& backend() const { return *storage->backend; }
};

/// A borrowed tensor in a braced list ({a, b}) passed to a helper: binds to lvalues and to
/// temporaries (alive until the end of the full expression) and copies no handle, where a
/// std::vector<Tensor> would allocate and bump reference counts on every op.
struct TensorRef {
  TensorRef(const Tensor& t) : t(&t) {}  // NOLINT: implicit by design
  const Tensor* t;
};

/// Row-major strides for a shape.
Shape contiguous_strides(const Shape& s);
/// A new tensor with fresh (uninitialised) storage on device d.
Tensor make_empty(const Shape& s, DType t, Device d);
/// Same on a backend already at hand (an operand's), skipping the device lookup.
Tensor make_empty(const Shape& s, DType t, Backend& b);
/// A view sharing src's storage with new sizes/strides/offset (no autograd recording).
Tensor make_view(const Tensor& src, Shape sizes, Shape strides, int64_t offset);
/// Normalises a possibly negative dim against rank n; op names the caller for the error.
int64_t wrap_dim(int64_t d, int64_t n, const char* op);

}  // namespace ember
