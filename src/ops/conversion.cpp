// Data movement ops: factories, copy_/fill_, contiguous, clone, to(dtype), to(device), item.
#include <cmath>
#include <cstring>

#include "autograd/record.h"
#include "core/memory_format.h"
#include "core/kernels/copy.h"
#include "ember/random.h"
#include "ops/dispatch.h"

namespace ember {

using ops::kernel;

namespace {
/// dst <- src converted; src must already have dst's sizes and live on dst's device.
void copy_same_device(const Tensor& src, const Tensor& dst) {
  if (dst.numel() == 0) return;
  kernel<kernels::CopyKernel>(dst.device(), kernels::kCopy)(arg_of(src), arg_of(dst));
}

/// A contiguous copy of t (any device) on the CPU.
Tensor to_host_contiguous(const Tensor& t) {
  Tensor c = t.is_contiguous() ? t : t.contiguous();
  if (c.device().is_cpu()) return c;
  Tensor h = make_empty(c.shape(), c.dtype(), Device());
  size_t es = dtype_size(c.dtype());
  get_backend(c.device()).buffers().copy_to_host(h.raw_data(), c.impl()->storage->data,
                                                 static_cast<size_t>(c.offset()) * es, static_cast<size_t>(c.numel()) * es);
  return h;
}
}  // namespace

Tensor empty(const Shape& s, TensorOptions o) {
  Tensor t = make_empty(s, o.dtype, o.device);
  if (o.requires_grad) t.set_requires_grad(true);
  return t;
}
Tensor full(const Shape& s, double value, TensorOptions o) {
  Tensor t = make_empty(s, o.dtype, o.device);
  t.fill_(value);
  if (o.requires_grad) t.set_requires_grad(true);
  return t;
}
Tensor zeros(const Shape& s, TensorOptions o) { return full(s, 0.0, o); }
Tensor ones(const Shape& s, TensorOptions o) { return full(s, 1.0, o); }
Tensor zeros_like(const Tensor& t) { return full(t.shape(), 0.0, TensorOptions(t.dtype()).with_device(t.device())); }
Tensor ones_like(const Tensor& t) { return full(t.shape(), 1.0, TensorOptions(t.dtype()).with_device(t.device())); }
Tensor full_like(const Tensor& t, double v) { return full(t.shape(), v, TensorOptions(t.dtype()).with_device(t.device())); }
Tensor empty_like(const Tensor& t) { return make_empty(t.shape(), t.dtype(), t.device()); }
Tensor scalar_tensor(double v, TensorOptions o) { return full({}, v, o); }

namespace {
Tensor from_doubles(const std::vector<double>& v, const Shape& s, TensorOptions o) {
  EMBER_CHECK(static_cast<int64_t>(v.size()) == shape_numel(s), "from_vector: ", v.size(),
              " values do not fill shape ", shape_str(s));
  Tensor h = make_empty(s, DType::Float64, Device());
  if (!v.empty()) std::memcpy(h.raw_data(), v.data(), v.size() * sizeof(double));
  Tensor out = h.to(o.dtype).to(o.device);
  if (o.requires_grad) out.set_requires_grad(true);
  return out;
}
}  // namespace

Tensor from_vector(const std::vector<double>& v, const Shape& s, TensorOptions o) { return from_doubles(v, s, o); }
Tensor from_vector(const std::vector<float>& v, const Shape& s, TensorOptions o) {
  return from_doubles(std::vector<double>(v.begin(), v.end()), s, o);
}
Tensor from_vector(const std::vector<int64_t>& v, const Shape& s, TensorOptions o) {
  EMBER_CHECK(static_cast<int64_t>(v.size()) == shape_numel(s), "from_vector: ", v.size(),
              " values do not fill shape ", shape_str(s));
  Tensor h = make_empty(s, DType::Int64, Device());
  if (!v.empty()) std::memcpy(h.raw_data(), v.data(), v.size() * sizeof(int64_t));
  Tensor out = h.to(o.dtype).to(o.device);
  if (o.requires_grad) out.set_requires_grad(true);
  return out;
}
Tensor tensor(std::initializer_list<double> values, TensorOptions o) {
  return from_doubles(std::vector<double>(values), {static_cast<int64_t>(values.size())}, o);
}

Tensor arange(double start, double end, double step, TensorOptions o) {
  EMBER_CHECK(step != 0.0, "arange: step must be nonzero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), "arange: bounds must be finite");
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((end - start) / step)));
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<double>(i) * step;
  return from_doubles(v, {n}, o);
}
Tensor arange(int64_t end, TensorOptions o) { return arange(0.0, static_cast<double>(end), 1.0, o); }

Tensor rand(const Shape& s, TensorOptions o) {
  EMBER_CHECK(is_floating(o.dtype), "rand: dtype must be floating, got ", dtype_name(o.dtype));
  std::vector<double> v(static_cast<size_t>(shape_numel(s)));
  Generator& g = default_generator();
  for (double& x : v) x = g.uniform();
  return from_doubles(v, s, o);
}
Tensor randn(const Shape& s, TensorOptions o) {
  EMBER_CHECK(is_floating(o.dtype), "randn: dtype must be floating, got ", dtype_name(o.dtype));
  std::vector<double> v(static_cast<size_t>(shape_numel(s)));
  Generator& g = default_generator();
  for (double& x : v) x = g.normal();
  return from_doubles(v, s, o);
}

void Tensor::fill_(double v) const {
  EMBER_CHECK(!(grad_enabled() && requires_grad() && is_leaf()), "fill_: in-place write to a leaf that requires grad; "
              "wrap it in NoGradGuard");
  if (numel() == 0) return;
  kernel<kernels::FillKernel>(device(), kernels::kFill)(arg_of(*this), v);
}

void Tensor::copy_(const Tensor& src) const {
  ops::check_defined("copy_", "source", src);
  EMBER_CHECK(!(grad_enabled() && requires_grad() && is_leaf()), "copy_: in-place write to a leaf that requires grad; "
              "wrap it in NoGradGuard");
  Tensor s = src;
  if (s.shape() != shape()) s = src.detach().expand(shape());
  if (s.device() != device()) {
    Tensor h = to_host_contiguous(s);
    if (device().is_cpu()) {
      copy_same_device(h, *this);
    } else {
      Tensor d = make_empty(h.shape(), h.dtype(), device());
      size_t es = dtype_size(h.dtype());
      get_backend(device()).buffers().copy_from_host(d.impl()->storage->data, 0, h.raw_data(),
                                                     static_cast<size_t>(h.numel()) * es);
      copy_same_device(d, *this);
    }
    return;
  }
  copy_same_device(s, *this);
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = make_empty(shape(), dtype(), device());
  copy_same_device(*this, out);
  autograd::record("clone", {*this}, {out}, [](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0]}; });
  return out;
}

Tensor Tensor::to(DType t) const {
  if (t == dtype()) return *this;
  // A channels-last tensor stays channels-last (autocast converts conv activations this way).
  Tensor out = is_channels_last(*this) && !is_contiguous() ? make_empty_channels_last(shape(), t, impl()->backend())
                                                          : make_empty(shape(), t, device());
  copy_same_device(*this, out);
  if (is_floating(t)) {
    DType from = dtype();
    autograd::record("to_dtype", {*this}, {out}, [from](const std::vector<Tensor>& g) {
      return std::vector<Tensor>{g[0].to(from)};
    });
  }
  return out;
}

Tensor Tensor::to(Device d) const {
  if (d == device()) return *this;
  Tensor h = to_host_contiguous(*this);
  Tensor out;
  if (d.is_cpu()) {
    out = h.is_same(*this) ? h.clone().detach() : h;
  } else {
    out = make_empty(shape(), dtype(), d);
    size_t es = dtype_size(dtype());
    get_backend(d).buffers().copy_from_host(out.impl()->storage->data, 0, h.raw_data(),
                                            static_cast<size_t>(numel()) * es);
  }
  Device from = device();
  autograd::record("to_device", {*this}, {out}, [from](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{g[0].to(from)};
  });
  return out;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor h = to_host_contiguous(*this);
  Tensor c = h.dtype() == dtype_of<T>::value ? h : h.detach().to(dtype_of<T>::value);
  const T* p = c.data_ptr<T>();
  return std::vector<T>(p, p + c.numel());
}

template <class T>
T Tensor::item() const {
  EMBER_CHECK(numel() == 1, "item: tensor of shape ", shape_str(shape()), " has ", numel(), " elements, need exactly 1");
  if constexpr (std::is_same_v<T, bool>) {
    return to_vector<uint8_t>()[0] != 0;
  } else {
    return to_vector<T>()[0];
  }
}

#define EMBER_INST(T) template std::vector<T> Tensor::to_vector<T>() const; template T Tensor::item<T>() const;
EMBER_INST(float)
EMBER_INST(double)
EMBER_INST(int64_t)
EMBER_INST(int32_t)
EMBER_INST(uint8_t)
EMBER_INST(Half)
EMBER_INST(BFloat16)
#undef EMBER_INST
template bool Tensor::item<bool>() const;

}  // namespace ember
