// Backend cases for the pool family (to be filled in).
#include "harness/backend_cases.h"

namespace ember::test {
std::vector<BackendCase> pool_cases() { return {}; }
}  // namespace ember::test
