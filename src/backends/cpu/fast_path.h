// Switch between the CPU fast paths (oneDNN, vectorised special cases) and the reference loops.
// On by default; tests turn it off to check every fast path against the reference kernels.
// EMBER_CPU_REFERENCE=1 in the environment turns the fast paths off for a whole run.
#pragma once

namespace ember::cpu {
bool fast_paths_enabled();
void set_fast_paths_enabled(bool on);

/// RAII: runs a scope with the reference kernels only.
struct ReferenceKernelsScope {
  ReferenceKernelsScope() : prev(fast_paths_enabled()) { set_fast_paths_enabled(false); }
  ~ReferenceKernelsScope() { set_fast_paths_enabled(prev); }
  bool prev;
};
}  // namespace ember::cpu
