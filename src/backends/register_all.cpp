// The one place that knows which backends were built: registers each (CPU first).
#include "backends/cpu/cpu_backend.h"
#include "core/backend.h"

namespace ember {
void register_all_backends() {
  cpu::register_cpu();
}
}  // namespace ember
