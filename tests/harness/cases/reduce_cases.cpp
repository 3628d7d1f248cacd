// Backend cases for the reduce family (to be filled in).
#include "harness/backend_cases.h"

namespace ember::test {
std::vector<BackendCase> reduce_cases() { return {}; }
}  // namespace ember::test
