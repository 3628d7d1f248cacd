// Tensor metadata accessors and the low-level constructors (empty storage, views).
// Ops that create or convert data live in src/ops/; this file never touches autograd.
#include <numeric>
#include <sstream>

#include "core/kernels/tensor_arg.h"
#include "core/tensor_impl.h"

namespace ember {

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? "," : "") << s[i];
  os << ']';
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t v : s) n *= v;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return st;
}

int64_t wrap_dim(int64_t d, int64_t n, const char* op) {
  int64_t lo = -std::max<int64_t>(n, 1), hi = std::max<int64_t>(n, 1) - 1;
  EMBER_CHECK(d >= lo && d <= hi, op, ": dimension ", d, " out of range for a tensor of rank ", n,
              " (expected ", lo, "..", hi, ")");
  return d < 0 ? d + std::max<int64_t>(n, 1) : d;
}

namespace {

/// Per-thread free lists of fixed-size blocks for the objects every tensor creation makes
/// (TensorImpl and Storage, each with its shared_ptr control block, via allocate_shared).
/// Small ops create and drop tensors at a high rate; a list pop/push replaces malloc/free.
/// A block freed on another thread joins that thread's list. The list heads are trivially
/// destructible thread_locals; a guard frees the blocks when the thread exits.
struct FreeBlock {
  FreeBlock* next;
};
struct BlockList {
  FreeBlock* head = nullptr;
  uint32_t count = 0;
  bool closed = false;  // the thread is exiting: blocks go straight back to the heap
};
constexpr uint32_t kMaxFreeBlocks = 4096;

template <size_t Size>
BlockList& block_list() {
  thread_local BlockList list;
  struct Guard {
    ~Guard() {
      list.closed = true;
      while (FreeBlock* b = list.head) {
        list.head = b->next;
        ::operator delete(b);
      }
      list.count = 0;
    }
  };
  thread_local Guard guard;
  (void)guard;
  return list;
}

template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT
  static constexpr size_t kSize = (sizeof(T) + 15) & ~size_t{15};
  T* allocate(size_t n) {
    if (n == 1) {
      BlockList& l = block_list<kSize>();
      if (FreeBlock* b = l.head) {
        l.head = b->next;
        --l.count;
        return reinterpret_cast<T*>(b);
      }
      return static_cast<T*>(::operator new(kSize));
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) {
    if (n == 1) {
      BlockList& l = block_list<kSize>();
      if (!l.closed && l.count < kMaxFreeBlocks) {
        auto* b = reinterpret_cast<FreeBlock*>(p);
        b->next = l.head;
        l.head = b;
        ++l.count;
        return;
      }
    }
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const PoolAllocator<U>&) const { return true; }
};

std::shared_ptr<TensorImpl> new_impl() { return std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>()); }

}  // namespace

Tensor make_empty(const Shape& s, DType t, Device d) { return make_empty(s, t, get_backend(d)); }

Tensor make_empty(const Shape& s, DType t, Backend& b) {
  int64_t numel = 1;
  for (int64_t v : s) {
    EMBER_CHECK(v >= 0, "cannot create a tensor with negative size ", shape_str(s));
    numel *= v;
  }
  auto impl = new_impl();
  impl->storage = std::allocate_shared<Storage>(PoolAllocator<Storage>(), &b, static_cast<size_t>(numel) * dtype_size(t));
  impl->sizes = s;
  // Row-major strides, written in place (as contiguous_strides()).
  impl->strides.resize(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    impl->strides[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  impl->dtype = t;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& src, Shape sizes, Shape strides, int64_t offset) {
  auto impl = new_impl();
  impl->storage = src.impl()->storage;
  impl->sizes = std::move(sizes);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = src.dtype();
  return Tensor(std::move(impl));
}

namespace {
TensorImpl* checked(const std::shared_ptr<TensorImpl>& p) {
  EMBER_CHECK(p != nullptr, "use of an undefined (default-constructed) Tensor");
  return p.get();
}
}  // namespace

const Shape& Tensor::shape() const { return checked(impl_)->sizes; }
const Shape& Tensor::strides() const { return checked(impl_)->strides; }
int64_t Tensor::offset() const { return checked(impl_)->offset; }
int64_t Tensor::numel() const { return shape_numel(shape()); }
DType Tensor::dtype() const { return checked(impl_)->dtype; }
Device Tensor::device() const { return checked(impl_)->device(); }
int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  const Shape& s = shape();
  const Shape& st = strides();
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= s[i];
  }
  return true;
}

std::string Tensor::str() const {
  if (!defined()) return "Tensor(undefined)";
  return "Tensor" + shape_str(shape()) + " " + dtype_name(dtype()) + " " + device().str();
}

bool Tensor::requires_grad() const { return impl_ && (impl_->requires_grad || impl_->grad_fn); }
bool Tensor::is_leaf() const { return checked(impl_)->grad_fn == nullptr; }
const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return checked(impl_)->grad_fn; }
Tensor Tensor::grad() const { return checked(impl_)->grad; }
void Tensor::set_grad(const Tensor& g) { checked(impl_)->grad = g; }
void Tensor::zero_grad() { checked(impl_)->grad = Tensor(); }

Tensor& Tensor::set_requires_grad(bool r) {
  TensorImpl* i = checked(impl_);
  EMBER_CHECK(!r || is_floating(i->dtype), "set_requires_grad: only floating-point tensors can require "
              "gradients, got ", dtype_name(i->dtype));
  EMBER_CHECK(i->grad_fn == nullptr, "set_requires_grad: can only be set on leaf tensors; use detach()");
  i->requires_grad = r;
  return *this;
}

Tensor Tensor::detach() const {
  TensorImpl* i = checked(impl_);
  return make_view(*this, i->sizes, i->strides, i->offset);
}

void* Tensor::raw_data() const {
  TensorImpl* i = checked(impl_);
  EMBER_CHECK(i->device().is_cpu(), "raw_data: tensor is on ", i->device().str(), "; call .to(\"cpu\") first");
  return static_cast<char*>(i->storage->data) + i->offset * static_cast<int64_t>(dtype_size(i->dtype));
}

template <class T>
T* Tensor::data_ptr() const {
  EMBER_CHECK(dtype_of<T>::value == dtype(), "data_ptr: tensor has dtype ", dtype_name(dtype()),
              ", requested ", dtype_name(dtype_of<T>::value));
  return static_cast<T*>(raw_data());
}
template bool* Tensor::data_ptr<bool>() const;
template uint8_t* Tensor::data_ptr<uint8_t>() const;
template int32_t* Tensor::data_ptr<int32_t>() const;
template int64_t* Tensor::data_ptr<int64_t>() const;
template Half* Tensor::data_ptr<Half>() const;
template BFloat16* Tensor::data_ptr<BFloat16>() const;
template float* Tensor::data_ptr<float>() const;
template double* Tensor::data_ptr<double>() const;

}  // namespace ember
