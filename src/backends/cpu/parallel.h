// parallel_for over [0, n) with OpenMP (the same runtime oneDNN uses), honouring
// OMP_NUM_THREADS and ember::set_num_threads. Small ranges run inline.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>

namespace ember::cpu {

/// Elements below which a loop is not worth waking threads for.
inline constexpr int64_t kGrainSize = 32768;

/// Calls f(begin, end) on disjoint chunks covering [0, n). grain: minimum chunk length.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (n <= grain) {  // tiny loops never ask OpenMP anything, let alone open a region
    f(int64_t{0}, n);
    return;
  }
  int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / std::max<int64_t>(grain, 1));
  if (chunks <= 1) {
    f(int64_t{0}, n);
    return;
  }
  std::exception_ptr error;  // an exception must not escape an OpenMP region
#pragma omp parallel num_threads(static_cast<int>(chunks))
  {
    int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t per = (n + nt - 1) / nt;
    int64_t b = t * per, e = std::min(n, b + per);
    try {
      if (b < e) f(b, e);
    } catch (...) {
#pragma omp critical(ember_parallel_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace ember::cpu
