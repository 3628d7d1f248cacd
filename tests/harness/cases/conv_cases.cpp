// Backend cases for the conv family (to be filled in).
#include "harness/backend_cases.h"

namespace ember::test {
std::vector<BackendCase> conv_cases() { return {}; }
}  // namespace ember::test
