// The fast-path switch (see fast_path.h).
#include "backends/cpu/fast_path.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ember::cpu {
namespace {
std::atomic<bool>& flag() {
  static std::atomic<bool> on{[] {
    const char* e = std::getenv("EMBER_CPU_REFERENCE");
    return !(e && std::strcmp(e, "0") != 0 && *e);
  }()};
  return on;
}
}  // namespace
bool fast_paths_enabled() { return flag().load(std::memory_order_relaxed); }
void set_fast_paths_enabled(bool on) { flag().store(on); }
}  // namespace ember::cpu
