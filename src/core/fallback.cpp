// Host staging for the CPU fallback (see fallback.h) and its one-time warnings.
#include "core/fallback.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>

namespace ember::fallback {

Staging::~Staging() {
  BufferAllocator& host = get_backend(Device()).buffers();
  for (Span& s : spans_) host.deallocate(s.host, s.nbytes);
}

const TensorArg& Staging::stage(const TensorArg& a) {
  TensorArg h = a;
  if (a.numel() == 0 || a.data == nullptr) return args_.emplace_back(h);
  // The element range [lo, hi] the strided view can touch.
  int64_t lo = a.offset, hi = a.offset;
  for (size_t d = 0; d < a.sizes.size(); ++d) {
    const int64_t reach = a.strides[d] * (a.sizes[d] - 1);
    (reach < 0 ? lo : hi) += reach;
  }
  const size_t es = dtype_size(a.dtype);
  Span s{a.data, static_cast<size_t>(lo) * es, static_cast<size_t>(hi - lo + 1) * es, nullptr, {}};
  s.host = get_backend(Device()).buffers().allocate(s.nbytes);
  dev_.buffers().copy_to_host(s.host, s.device_buffer, s.byte_offset, s.nbytes);
  s.original.assign(static_cast<unsigned char*>(s.host), static_cast<unsigned char*>(s.host) + s.nbytes);
  h.data = s.host;
  h.offset = a.offset - lo;
  spans_.push_back(std::move(s));
  return args_.emplace_back(h);
}

void Staging::write_back() {
  for (Span& s : spans_) {
    const auto* now = static_cast<const unsigned char*>(s.host);
    size_t first = 0, last = s.nbytes;
    while (first < s.nbytes && now[first] == s.original[first]) ++first;
    if (first == s.nbytes) continue;  // an input: unchanged
    while (last > first && now[last - 1] == s.original[last - 1]) --last;
    dev_.buffers().copy_from_host(s.device_buffer, s.byte_offset + first, now + first, last - first);
  }
}

namespace {
std::atomic<uint64_t> g_calls{0};
}
uint64_t calls() { return g_calls.load(); }
void count_call() { ++g_calls; }

void warn_once(size_t slot, const Device& d, const char* why) {
  static std::mutex mu;
  static std::set<std::pair<size_t, std::string>> seen;
  std::lock_guard<std::mutex> lock(mu);
  if (!seen.insert({slot, d.str()}).second) return;
  std::fprintf(stderr, "ember: warning: kernel '%s' %s on %s; running it on the CPU instead (operands are copied to the host and back)\n",
               kernel_slot_name(slot).c_str(), why, d.str().c_str());
}

}  // namespace ember::fallback
