// Every backend case (tests/harness/cases/) on cuda:0 against the CPU reference, each required
// to run without the CPU fallback. Without a CUDA device each case is skipped with the reason
// the backend reported (no driver, no GPU, ...).
#include <gtest/gtest.h>

#include "backends/cuda/cuda_test_util.h"
#include "harness/backend_cases.h"

using namespace ember;
using namespace ember::test;

class CudaOps : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaOps, MatchesCpu) {
  EMBER_REQUIRE_CUDA();
  expect_case_matches_cpu(backend_case(GetParam()), cuda0());
}

INSTANTIATE_TEST_SUITE_P(Case, CudaOps, ::testing::ValuesIn(backend_case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
