// CPU thread count for ember's kernels and oneDNN (both use OpenMP; OMP_NUM_THREADS is honoured).
#pragma once

namespace ember {
/// Requires n >= 1.
void set_num_threads(int n);
int get_num_threads();
}  // namespace ember
