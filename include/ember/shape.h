// Shape: the sizes (or strides) of a tensor. A vector of int64_t that keeps up to
// kInline dimensions inside the object, so creating, copying and viewing ordinary tensors
// never touches the heap (std::vector would allocate twice per tensor and per kernel
// argument). Larger ranks spill to the heap transparently. The interface is the subset of
// std::vector that tensor code uses, and a Shape converts to and from std::vector<int64_t>.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace ember {

class Shape {
 public:
  using value_type = int64_t;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = int64_t&;
  using const_reference = const int64_t&;
  using pointer = int64_t*;
  using const_pointer = const int64_t*;
  using iterator = int64_t*;
  using const_iterator = const int64_t*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  /// Dimensions stored without a heap allocation (every layer ember ships uses <= 5).
  static constexpr size_t kInline = 6;

  Shape() = default;
  explicit Shape(size_t n, int64_t v = 0) { assign(n, v); }
  Shape(std::initializer_list<int64_t> il) { assign(il.begin(), il.end()); }
  template <class It, class = std::enable_if_t<!std::is_integral_v<It>>>
  Shape(It first, It last) { assign(first, last); }
  Shape(const std::vector<int64_t>& v) { assign(v.begin(), v.end()); }  // NOLINT: implicit by design
  Shape(const Shape& o) { copy_from(o); }
  Shape(Shape&& o) noexcept { take(o); }
  Shape& operator=(const Shape& o) {
    if (this != &o) copy_from(o);
    return *this;
  }
  Shape& operator=(Shape&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  Shape& operator=(std::initializer_list<int64_t> il) {
    assign(il.begin(), il.end());
    return *this;
  }
  ~Shape() { release(); }

  operator std::vector<int64_t>() const { return std::vector<int64_t>(begin(), end()); }  // NOLINT
  std::vector<int64_t> vec() const { return *this; }

  // ---- element access ---------------------------------------------------------------------
  int64_t& operator[](size_t i) { return data_[i]; }
  const int64_t& operator[](size_t i) const { return data_[i]; }
  int64_t& at(size_t i) {
    if (i >= size_) throw std::out_of_range("Shape::at: index out of range");
    return data_[i];
  }
  const int64_t& at(size_t i) const { return const_cast<Shape*>(this)->at(i); }
  int64_t& front() { return data_[0]; }
  const int64_t& front() const { return data_[0]; }
  int64_t& back() { return data_[size_ - 1]; }
  const int64_t& back() const { return data_[size_ - 1]; }
  int64_t* data() { return data_; }
  const int64_t* data() const { return data_; }

  // ---- iterators --------------------------------------------------------------------------
  iterator begin() { return data_; }
  iterator end() { return data_ + size_; }
  const_iterator begin() const { return data_; }
  const_iterator end() const { return data_ + size_; }
  const_iterator cbegin() const { return data_; }
  const_iterator cend() const { return data_ + size_; }
  reverse_iterator rbegin() { return reverse_iterator(end()); }
  reverse_iterator rend() { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  // ---- capacity ---------------------------------------------------------------------------
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return cap_; }
  void reserve(size_t n) {
    if (n > cap_) grow(n);
  }

  // ---- modifiers --------------------------------------------------------------------------
  void clear() { size_ = 0; }
  void resize(size_t n, int64_t v = 0) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) data_[i] = v;
    size_ = n;
  }
  void assign(size_t n, int64_t v) {
    size_ = 0;
    resize(n, v);
  }
  template <class It, class = std::enable_if_t<!std::is_integral_v<It>>>
  void assign(It first, It last) {
    const size_t n = static_cast<size_t>(std::distance(first, last));
    reserve(n);
    std::copy(first, last, data_);
    size_ = n;
  }
  void push_back(int64_t v) {
    if (size_ == cap_) grow(cap_ * 2);
    data_[size_++] = v;
  }
  void emplace_back(int64_t v) { push_back(v); }
  void pop_back() { --size_; }
  iterator insert(const_iterator pos, int64_t v) { return insert(pos, size_t{1}, v); }
  iterator insert(const_iterator pos, size_t n, int64_t v) {
    iterator p = open_gap(pos, n);
    std::fill(p, p + n, v);
    return p;
  }
  template <class It, class = std::enable_if_t<!std::is_integral_v<It>>>
  iterator insert(const_iterator pos, It first, It last) {
    Shape tmp(first, last);  // first/last may point into *this
    iterator p = open_gap(pos, tmp.size());
    std::copy(tmp.begin(), tmp.end(), p);
    return p;
  }
  iterator insert(const_iterator pos, std::initializer_list<int64_t> il) { return insert(pos, il.begin(), il.end()); }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    iterator f = data_ + (first - data_), l = data_ + (last - data_);
    std::copy(l, end(), f);
    size_ -= static_cast<size_t>(l - f);
    return f;
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
  friend bool operator<(const Shape& a, const Shape& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  bool on_heap() const { return data_ != inline_; }
  void release() {
    if (on_heap()) delete[] data_;
    data_ = inline_;
    cap_ = kInline;
    size_ = 0;
  }
  /// Copies o; the common inline case is one fixed-size copy the compiler unrolls (every
  /// tensor and kernel argument copies two Shapes). o's buffer always holds >= kInline values.
  void copy_from(const Shape& o) {
    if (o.size_ <= kInline) {
      std::memcpy(data_, o.data_, kInline * sizeof(int64_t));
      size_ = o.size_;
    } else {
      assign(o.begin(), o.end());
    }
  }
  /// Moves o's contents into *this (which owns nothing); leaves o empty and inline.
  void take(Shape& o) {
    size_ = o.size_;
    if (o.on_heap()) {
      data_ = o.data_;
      cap_ = o.cap_;
      o.data_ = o.inline_;
      o.cap_ = kInline;
    } else {
      std::memcpy(inline_, o.inline_, size_ * sizeof(int64_t));
    }
    o.size_ = 0;
  }
  void grow(size_t n) {
    n = std::max(n, kInline * 2);
    int64_t* p = new int64_t[n];
    std::copy(begin(), end(), p);
    if (on_heap()) delete[] data_;
    data_ = p;
    cap_ = n;
  }
  /// Shifts [pos, end) right by n and returns the gap's start.
  iterator open_gap(const_iterator pos, size_t n) {
    const size_t at = static_cast<size_t>(pos - data_);
    reserve(size_ + n);
    std::copy_backward(data_ + at, data_ + size_, data_ + size_ + n);
    size_ += n;
    return data_ + at;
  }

  int64_t* data_ = inline_;
  size_t size_ = 0;
  size_t cap_ = kInline;
  int64_t inline_[kInline];
};

}  // namespace ember
