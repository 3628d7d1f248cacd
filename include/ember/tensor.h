// Tensor: an n-dimensional strided view over device storage, with reverse-mode autograd.
// Copying a Tensor copies a handle (like torch::Tensor); views share storage.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/error.h"
#include "ember/shape.h"

namespace ember {

std::string shape_str(const Shape& s);  // "[2,3,4]"
int64_t shape_numel(const Shape& s);

struct TensorImpl;
namespace autograd { struct Node; }

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- metadata -------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t offset() const;  // in elements, into the storage
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  /// Size of dimension d; negative d counts from the end. Requires -dim() <= d < dim().
  int64_t size(int64_t d) const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  std::string str() const;  // "Tensor[2,3] float32 cpu"

  // ---- autograd -------------------------------------------------------------------------
  bool requires_grad() const;
  /// Marks a leaf as needing a gradient. Requires a floating dtype.
  Tensor& set_requires_grad(bool r = true);
  /// The gradient accumulated by backward() (undefined until then).
  Tensor grad() const;
  void set_grad(const Tensor& g);
  void zero_grad();
  bool is_leaf() const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  /// Reverse-mode backward from this tensor. Without an argument requires numel() == 1.
  void backward(const Tensor& grad_output = Tensor()) const;
  /// Same data, cut from the graph.
  Tensor detach() const;

  // ---- data -----------------------------------------------------------------------------
  /// Pointer to the first element of a CPU tensor; requires device cpu and dtype_of<T> == dtype().
  template <class T> T* data_ptr() const;
  void* raw_data() const;  // CPU only; typed pointer arithmetic left to the caller
  /// Value of a one-element tensor (copied to the host, converted to T).
  template <class T> T item() const;
  double item() const { return item<double>(); }
  /// All elements in row-major order, converted to T (copies to host).
  template <class T> std::vector<T> to_vector() const;

  // ---- conversion -----------------------------------------------------------------------
  Tensor to(DType t) const;
  Tensor to(Device d) const;
  Tensor contiguous() const;
  Tensor clone() const;
  /// Copies src (broadcast to this shape, any dtype/device) into this tensor in place.
  void copy_(const Tensor& src) const;
  void fill_(double v) const;

  // ---- views (share storage; differentiable) --------------------------------------------
  Tensor view(const Shape& s) const;     // requires a layout compatible with s
  Tensor reshape(const Shape& s) const;  // view when possible, else copy; one -1 allowed
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t a, int64_t b) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor expand(const Shape& s) const;   // -1 keeps a size; size-1 dims broadcast
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- factories --------------------------------------------------------------------------
struct TensorOptions {
  DType dtype = DType::Float32;
  Device device = Device();
  bool requires_grad = false;
  TensorOptions() = default;
  TensorOptions(DType d) : dtype(d) {}  // NOLINT
  TensorOptions& with_dtype(DType d) { dtype = d; return *this; }
  TensorOptions& with_device(Device d) { device = d; return *this; }
  TensorOptions& with_requires_grad(bool r = true) { requires_grad = r; return *this; }
};

Tensor empty(const Shape& s, TensorOptions o = {});
Tensor zeros(const Shape& s, TensorOptions o = {});
Tensor ones(const Shape& s, TensorOptions o = {});
Tensor full(const Shape& s, double value, TensorOptions o = {});
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
Tensor empty_like(const Tensor& t);
/// end exclusive; requires step != 0. Integer dtype default when all arguments are integral.
Tensor arange(double start, double end, double step = 1.0, TensorOptions o = TensorOptions(DType::Int64));
Tensor arange(int64_t end, TensorOptions o = TensorOptions(DType::Int64));
/// Uniform [0,1) and standard normal samples from the default generator (see random.h).
Tensor rand(const Shape& s, TensorOptions o = {});
Tensor randn(const Shape& s, TensorOptions o = {});
/// A one-element 0-dim tensor.
Tensor scalar_tensor(double v, TensorOptions o = {});
/// Copies values (row-major) into a new tensor of shape s. Requires values.size() == numel(s).
Tensor from_vector(const std::vector<double>& values, const Shape& s, TensorOptions o = {});
Tensor from_vector(const std::vector<float>& values, const Shape& s, TensorOptions o = {});
Tensor from_vector(const std::vector<int64_t>& values, const Shape& s, TensorOptions o = TensorOptions(DType::Int64));
/// 1-D tensor from a braced list: tensor({1,2,3}).
Tensor tensor(std::initializer_list<double> values, TensorOptions o = {});

}  // namespace ember
