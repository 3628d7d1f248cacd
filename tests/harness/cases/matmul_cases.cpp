// Backend cases for the matmul family (to be filled in).
#include "harness/backend_cases.h"

namespace ember::test {
std::vector<BackendCase> matmul_cases() { return {}; }
}  // namespace ember::test
