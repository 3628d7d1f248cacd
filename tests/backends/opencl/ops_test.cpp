// Every backend case (tests/harness/cases/) on opencl:0 against the CPU reference. On CI this
// runs on PoCL; a missing device fails (these tests never skip).
#include <gtest/gtest.h>

#include "harness/backend_cases.h"

using namespace ember;
using namespace ember::test;

class OpenCLOps : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenCLOps, MatchesCpu) { expect_case_matches_cpu(backend_case(GetParam()), Device("opencl:0")); }

INSTANTIATE_TEST_SUITE_P(Case, OpenCLOps, ::testing::ValuesIn(backend_case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
