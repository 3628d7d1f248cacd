// Running a kernel on the CPU for a device that lacks it (DESIGN: "an op a backend lacks falls
// back to the CPU with a one-time warning naming the op, never silently"). The operands are
// copied to host buffers, the CPU backend's kernel runs on them, and every operand whose bytes
// changed is copied back. Correct for every kernel signature (outputs are simply the operands
// that changed), slow by construction: each use is announced once per kernel and device.
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "core/backend.h"
#include "core/kernels/tensor_arg.h"

namespace ember::fallback {

/// Host copies of one call's device operands. Requires: every staged TensorArg lives on dev.
class Staging {
 public:
  explicit Staging(Backend& dev) : dev_(dev) {}
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  /// A host view of a (its whole strided span copied to a CPU buffer).
  const TensorArg& stage(const TensorArg& a);
  const TensorArg* stage(const TensorArg* a) { return a ? &stage(*a) : nullptr; }
  template <class T>
  T stage(T v) { return v; }  // scalars, enums and geometry pass through unchanged

  /// Copies back every staged span whose host bytes differ from what was read.
  void write_back();

 private:
  struct Span {
    void* device_buffer;
    size_t byte_offset, nbytes;
    void* host;
    std::vector<unsigned char> original;
  };
  Backend& dev_;
  std::deque<TensorArg> args_;  // stable addresses for the references handed out
  std::vector<Span> spans_;
};

/// How many kernel calls have run through the CPU fallback in this process (tests use it to
/// check that a device ran an op natively).
uint64_t calls();
void count_call();

/// Prints (once per kernel slot and device) that `kernel` runs on the CPU for device d, and why.
void warn_once(size_t slot, const Device& d, const char* why);

template <class Fn>
struct CpuFallback;

/// CpuFallback<Fn>::run(dev, key, args...): runs the CPU backend's kernel of key on host
/// copies of args (operands on dev) and writes the changed operands back to dev.
template <class... Args>
struct CpuFallback<void(Args...)> {
  static void run(Backend& dev, const KernelKey<void(Args...)>& key, Args... args) {
    auto* cpu = get_backend(Device()).kernels().get(key);
    EMBER_CHECK(cpu != nullptr, "kernel '", key.name(), "' is implemented neither on ", dev.device().str(),
                " nor on the CPU");
    count_call();
    Staging s(dev);
    cpu(s.stage(args)...);
    s.write_back();
  }
};

}  // namespace ember::fallback
