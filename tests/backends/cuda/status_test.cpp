// What the CUDA backend reports about itself: a "cuda" status that is built and either
// available with devices or unavailable with a reason; a clear error for cuda:0 when there is
// no device; NVML loaded or explained; the fused optimizer entry points' argument checks.
// Runs on every machine (the device-only expectations switch on what was found).
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/nvml.h"
#include "backends/cuda/optim.cuh"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {
BackendStatus cuda_status() {
  for (const BackendStatus& s : backend_statuses())
    if (s.name == "cuda") return s;
  ADD_FAILURE() << "no cuda entry in backend_statuses()";
  return {};
}
}  // namespace

TEST(CudaStatus, ReportsBuiltAndWhyOrWhatItFound) {
  const BackendStatus s = cuda_status();
  EXPECT_TRUE(s.built);
  EXPECT_FALSE(s.detail.empty());
  int listed = 0;
  for (const DeviceInfo& d : list_devices()) listed += d.device.kind == DeviceKind::CUDA;
  EXPECT_EQ(listed, s.devices);
  if (s.available) {
    EXPECT_GT(s.devices, 0);
    EXPECT_NE(s.detail.find("cuda:0"), std::string::npos) << s.detail;
    EXPECT_TRUE(cuda::unavailable_reason().empty());
  } else {
    EXPECT_EQ(s.devices, 0);
    EXPECT_EQ(s.detail, cuda::unavailable_reason());  // the same probe, the same words
  }
}

TEST(CudaStatus, AskingForAMissingDeviceIsAClearError) {
  const BackendStatus s = cuda_status();
  const std::string missing = "cuda:" + std::to_string(s.devices);  // one past the last device
  EXPECT_EMBER_ERROR(get_backend(Device(missing)), missing.c_str(), "not available", "cpu");
  EXPECT_EMBER_ERROR(zeros({2}, TensorOptions(kFloat32).with_device(Device(missing))), missing.c_str());
  if (!s.available) EXPECT_EMBER_ERROR(synchronize(Device("cuda:0")), "cuda:0", "not available");
}

TEST(CudaStatus, DeviceInfoOfAvailableDevices) {
  for (const DeviceInfo& d : list_devices()) {
    if (d.device.kind != DeviceKind::CUDA) continue;
    EXPECT_EQ(d.kind, "gpu");
    EXPECT_GT(d.compute_units, 0);
    EXPECT_GT(d.memory_total, 0u);
    bool cc = false, bf16 = false;
    for (auto& [k, v] : d.properties) cc |= k == "compute_capability", bf16 |= k == "bf16";
    EXPECT_TRUE(cc && bf16) << d.name;
  }
}

TEST(CudaStatus, NvmlIsLoadedOrExplained) {
  cuda::Nvml& n = cuda::Nvml::get();
  const cuda::NvmlReading r = n.read("0000:ff:1f.7");  // no GPU sits there
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.error.empty());
  if (!n.available()) {
    EXPECT_NE(n.why().find("libnvidia-ml.so.1"), std::string::npos) << n.why();
    EXPECT_EQ(r.error, n.why());
    EXPECT_EQ(n.driver_version(), "");
  } else {
    EXPECT_TRUE(n.why().empty());
    EXPECT_FALSE(n.driver_version().empty());
  }
}

TEST(CudaStatus, FusedOptimizerUpdatesCheckTheirArguments) {
  EXPECT_EMBER_ERROR(cuda::fused_adam({}, cuda::AdamHyper{1e-3, 0.9, 0.999, 1e-8, 0, true, 1}), "fused_adam",
                     "no parameters");
  EXPECT_EMBER_ERROR(cuda::fused_sgd({}, cuda::SgdHyper{0.1, 0, 0, 0, false, true}), "fused_sgd", "no parameters");
}
