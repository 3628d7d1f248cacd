// Typed kernel keys: each kernel is named once, next to its signature in core/kernels/<family>.h,
// as a KernelKey<Signature> constant. Registering (KernelTable::set) and looking up
// (KernelTable::get, ops::kernel) take the key, so the signature comes from the key and a
// function of the wrong type does not compile. The key also caches the kernel's table slot.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ember/dtype.h"

namespace ember {

/// The process-wide slot of a kernel name: a small integer assigned on first use and never
/// reused (a backend's kernel table is a vector indexed by it). Thread-safe.
size_t kernel_slot(const std::string& name);
/// The name behind a slot returned by kernel_slot().
std::string kernel_slot_name(size_t slot);

/// A set of dtypes, one bit per DType (bit static_cast<int>(t)).
using DTypeMask = uint32_t;
constexpr DTypeMask dtype_bit(DType t) { return DTypeMask{1} << static_cast<unsigned>(t); }
/// Every dtype.
inline constexpr DTypeMask kAllDTypes = dtype_bit(DType::Float64) * 2 - 1;
/// Every dtype but t.
constexpr DTypeMask all_dtypes_but(DType t) { return kAllDTypes & ~dtype_bit(t); }

template <class Fn>
class KernelKey;

/// The key of a kernel of signature void(Args...). Declare one per kernel, once:
///   inline constinit const KernelKey<UnaryKernel> kUnary{"unary"};
/// Requires: name is a string literal unique among kernels. Keys are identities (not copied).
template <class... Args>
class KernelKey<void(Args...)> {
 public:
  using Fn = void(Args...);
  constexpr explicit KernelKey(const char* name) : name_(name) {}
  KernelKey(const KernelKey&) = delete;
  KernelKey& operator=(const KernelKey&) = delete;

  const char* name() const { return name_; }
  /// kernel_slot(name()), resolved on first use and then read from the key (one relaxed load).
  size_t slot() const {
    const size_t s = slot_.load(std::memory_order_relaxed);
    return s != kUnresolved ? s : resolve();
  }

 private:
  static constexpr size_t kUnresolved = ~size_t{0};
  size_t resolve() const {
    const size_t s = kernel_slot(name_);
    slot_.store(s, std::memory_order_relaxed);  // racing resolvers store the same value
    return s;
  }
  const char* name_;
  mutable std::atomic<size_t> slot_{kUnresolved};
};

/// For a kernel of signature void(Args...): a predicate a backend may register beside it
/// (KernelTable::set) to decline calls it cannot do for reasons other than dtype (OpenCL:
/// integer division, which must raise on a zero divisor). It returns nullptr to accept, or the
/// reason, worded to follow "kernel 'x' " in the fallback warning.
template <class Fn>
struct DeclineOf;
template <class... Args>
struct DeclineOf<void(Args...)> {
  using type = const char*(Args...);
};
template <class Fn>
using Decline = typename DeclineOf<Fn>::type;

}  // namespace ember
