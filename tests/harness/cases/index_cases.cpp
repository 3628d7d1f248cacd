// Backend cases for the index family (to be filled in).
#include "harness/backend_cases.h"

namespace ember::test {
std::vector<BackendCase> index_cases() { return {}; }
}  // namespace ember::test
