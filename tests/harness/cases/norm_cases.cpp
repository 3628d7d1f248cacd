// Backend cases for the norm family (to be filled in).
#include "harness/backend_cases.h"

namespace ember::test {
std::vector<BackendCase> norm_cases() { return {}; }
}  // namespace ember::test
