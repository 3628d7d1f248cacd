// CPU execution settings: the thread count for ember's kernels and oneDNN (both use OpenMP;
// OMP_NUM_THREADS is honoured), and how float arithmetic treats denormal numbers.
#pragma once

#include <string>

namespace ember {
/// The most threads ember runs. Far more than any CPU it runs on has cores; past some tens of
/// thousands, the OpenMP runtime crashes creating them (each needs its own stack mappings).
inline constexpr int kMaxThreads = 4096;

/// Requires 1 <= n <= kMaxThreads (ember::Error otherwise).
void set_num_threads(int n);
int get_num_threads();

/// "" when the environment's OMP_NUM_THREADS is unset or a whole number in [1, kMaxThreads];
/// otherwise a message naming the value and the limit. OpenMP reads the variable when the first
/// parallel region starts, so a program checks it before running anything.
std::string check_omp_num_threads_env();

/// on: CPU float arithmetic flushes denormal results to zero and reads denormal inputs as zero
/// (x86 FTZ + DAZ) on the calling thread and every thread of ember's pool; off: IEEE behaviour
/// (the default). Values below ~1.2e-38 (float) become 0, which training never notices, while
/// arithmetic on denormals can be ~100x slower: Adam's moments of parameters whose gradient is
/// zero decay into that range after a few hundred steps. The ember tool turns it on. Like
/// torch.set_flush_denormal. Returns false when the CPU has no such mode (then nothing changes).
/// Threads the caller creates itself inherit the mode of the thread that creates them.
bool set_flush_denormal(bool on);
/// Whether set_flush_denormal(true) is in effect.
bool flush_denormal();
}  // namespace ember
