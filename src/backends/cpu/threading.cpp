// CPU execution settings of include/ember/threading.h: the OpenMP thread count (ember's loops
// and oneDNN share that pool) and denormal handling (the FTZ/DAZ bits of each thread's MXCSR).
#include "ember/threading.h"

#include <omp.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "ember/error.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__SSE__)
#include <xmmintrin.h>
#define EMBER_HAS_MXCSR 1
#endif

namespace ember {
namespace {

std::atomic<bool> g_flush{false};

#ifdef EMBER_HAS_MXCSR
constexpr unsigned kFtzDaz = 0x8040;  // flush-to-zero (bit 15) | denormals-are-zero (bit 6)

void apply_on_this_thread(bool on) {
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(on ? (csr | kFtzDaz) : (csr & ~kFtzDaz));
}

/// Applies the mode on the calling thread and on every thread of the OpenMP pool.
void apply_everywhere(bool on) {
  apply_on_this_thread(on);
  if (omp_in_parallel()) return;
#pragma omp parallel
  apply_on_this_thread(on);
}
#endif

}  // namespace

void set_num_threads(int n) {
  EMBER_CHECK(n >= 1 && n <= kMaxThreads, "set_num_threads: need 1 to ", kMaxThreads, " threads, got ", n);
  omp_set_num_threads(n);
#ifdef EMBER_HAS_MXCSR
  if (g_flush.load()) apply_everywhere(true);  // threads the pool grows by start with the mode too
#endif
}

int get_num_threads() { return omp_get_max_threads(); }

std::string check_omp_num_threads_env() {
  const char* v = std::getenv("OMP_NUM_THREADS");
  if (!v) return "";
  // OpenMP's form is a list ("4,2" for nested levels); the first entry is the pool's size.
  const std::string s(v);
  const std::string first = s.substr(0, s.find(','));
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(first.c_str(), &end, 10);
  if (first.empty() || end == first.c_str() || *end != '\0' || errno == ERANGE || n < 1 || n > kMaxThreads)
    return "OMP_NUM_THREADS='" + s + "': ember runs 1 to " + std::to_string(kMaxThreads) + " threads";
  return "";
}

bool set_flush_denormal(bool on) {
#ifdef EMBER_HAS_MXCSR
  apply_everywhere(on);
  g_flush = on;
  return true;
#else
  return !on;  // no such mode on this CPU: only "off" is honoured
#endif
}

bool flush_denormal() { return g_flush.load(); }

}  // namespace ember
