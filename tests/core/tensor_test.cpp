// Core tests: dtypes, devices, factories, views, conversion, printing, errors.
#include <sstream>

#include "core/tensor_impl.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

TEST(DType, SizesNamesPromotion) {
  EXPECT_EQ(dtype_size(kBFloat16), 2u);
  EXPECT_EQ(dtype_size(kInt64), 8u);
  EXPECT_STREQ(dtype_name(kFloat16), "float16");
  EXPECT_EQ(parse_dtype("bf16"), kBFloat16);
  EXPECT_EQ(promote_types(kInt64, kFloat32), kFloat32);
  EXPECT_EQ(promote_types(kFloat16, kBFloat16), kFloat32);
  EXPECT_EQ(promote_types(kBool, kUInt8), kUInt8);
  EXPECT_EMBER_ERROR(parse_dtype("float13"), "float13");
}

TEST(DType, HalfAndBFloat16RoundToNearestEven) {
  EXPECT_EQ(static_cast<float>(Half(1.0f)), 1.0f);
  EXPECT_EQ(Half(65504.0f).bits, 0x7bff);
  EXPECT_EQ(static_cast<float>(Half(1e6f)), INFINITY);
  // 1 + 2^-11 is exactly between two halves: ties to even (1.0).
  EXPECT_EQ(static_cast<float>(Half(1.0f + 0x1p-11f)), 1.0f);
  EXPECT_EQ(static_cast<float>(BFloat16(1.0f + 0x1p-8f)), 1.0f);          // tie -> even
  EXPECT_EQ(static_cast<float>(BFloat16(1.0f + 0x1.8p-8f)), 1.0f + 0x1p-7f);  // above tie -> up
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(NAN))));
}

TEST(Device, ParseAndPrint) {
  EXPECT_EQ(Device("cpu").str(), "cpu");
  EXPECT_EQ(Device("cuda:1").index, 1);
  EXPECT_EQ(Device("opencl:0").kind, DeviceKind::OpenCL);
  EXPECT_EMBER_ERROR(Device("tpu:0"), "tpu:0");
  EXPECT_EMBER_ERROR(Device("cuda:x"), "cuda:x");
  EXPECT_EMBER_ERROR(zeros({2}, TensorOptions().with_device(Device("cuda:3"))), "cuda:3", "not available");
}

TEST(Tensor, FactoriesAndItem) {
  Tensor z = zeros({2, 3});
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.dtype(), kFloat32);
  EXPECT_EQ(sum(z).item<float>(), 0.0f);
  EXPECT_EQ(sum(ones({4, 5}, kInt32)).item<int64_t>(), 20);
  EXPECT_EQ(full({2}, 7.5, kFloat64).to_vector<double>(), (std::vector<double>{7.5, 7.5}));
  EXPECT_EQ(arange(5).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(1.0, 2.0, 0.25, kFloat64).numel(), 4);
  EXPECT_EMBER_ERROR(arange(0.0, 1.0, 0.0), "step");
  EXPECT_EMBER_ERROR(zeros({2, 3}).item<float>(), "item", "6 elements");
  EXPECT_EMBER_ERROR(zeros({-1}), "negative");
}

TEST(Tensor, SeededRandomIsReproducible) {
  manual_seed(42);
  Tensor a = randn({1000});
  manual_seed(42);
  Tensor b = randn({1000});
  EXPECT_ALLCLOSE(a, b, 0, 0);
  EXPECT_NEAR(mean(a).item(), 0.0, 0.1);
  EXPECT_NEAR(var(a).item(), 1.0, 0.15);
  Tensor u = rand({1000});
  EXPECT_GE(min(u).item(), 0.0);
  EXPECT_LT(max(u).item(), 1.0);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor x = arange(0.0, 24.0, 1.0, kFloat32).reshape({2, 3, 4});
  Tensor v = x.view({6, 4});
  EXPECT_EQ(v.impl()->storage, x.impl()->storage);
  Tensor p = x.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_FALSE(p.is_contiguous());
  EXPECT_EQ(p.contiguous().to_vector<float>()[1], 4.0f);  // p[0,0,1] = x[0,1,0]
  Tensor s = x.slice(2, 1, 4, 2);                          // columns 1 and 3
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.contiguous().to_vector<float>()[1], 3.0f);
  {
    NoGradGuard ng;
    s.fill_(-1);
  }
  EXPECT_EQ(x.to_vector<float>()[1], -1.0f);  // writes through the view
  EXPECT_EQ(x.select(1, 2).shape(), (Shape{2, 4}));
  EXPECT_EQ(x.unsqueeze(0).shape(), (Shape{1, 2, 3, 4}));
  EXPECT_EQ(x.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(x.unsqueeze(0).squeeze().shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(x.flatten(1).shape(), (Shape{2, 12}));
  EXPECT_EQ(x.reshape({-1, 4}).shape(), (Shape{6, 4}));
  Tensor e = tensor({1, 2, 3}).reshape({3, 1}).expand({3, 4});
  EXPECT_EQ(e.strides()[1], 0);
  EXPECT_EQ(sum(e).item(), 24.0);
}

TEST(Tensor, ViewErrorsNameTheProblem) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_EMBER_ERROR(x.view({5, 5}), "view", "[5,5]", "[2,3,4]");
  EXPECT_EMBER_ERROR(x.permute({0, 1}), "permute");
  EXPECT_EMBER_ERROR(x.permute({0, 0, 1}), "repeated");
  EXPECT_EMBER_ERROR(x.transpose(0, 2).view({24}), "reshape");
  EXPECT_EMBER_ERROR(x.expand({3, 3, 4}), "expand");
  EXPECT_EMBER_ERROR(x.select(0, 2), "select");
  EXPECT_EMBER_ERROR(x.size(3), "dimension 3");
  EXPECT_EMBER_ERROR(Tensor().shape(), "undefined");
}

TEST(Tensor, ReshapeOfNonContiguousCopies) {
  Tensor x = arange(0.0, 6.0, 1.0, kFloat32).reshape({2, 3}).t();
  Tensor r = x.reshape({6});
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Tensor, DtypeConversionRoundTrips) {
  Tensor x = tensor({-2.5, 0.0, 1.5, 3.0});
  EXPECT_EQ(x.to(kInt32).to_vector<int32_t>(), (std::vector<int32_t>{-2, 0, 1, 3}));
  EXPECT_EQ(x.to(kBool).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 1}));
  EXPECT_ALLCLOSE(x.to(kBFloat16).to(kFloat64), x);
  EXPECT_ALLCLOSE(x.to(kFloat16).to(kFloat32), x.to(kFloat32));
  Tensor big = full({100000}, 1.0 / 3.0, kFloat64);
  EXPECT_ALLCLOSE(big.to(kFloat32).to(kFloat64), big, 1e-7, 0);
}

TEST(Tensor, ToDeviceCpuIsIdentityAndUnknownDeviceFails) {
  Tensor x = ones({3});
  EXPECT_TRUE(x.to(Device("cpu")).is_same(x));
  EXPECT_EMBER_ERROR(x.to(Device("opencl:7")), "opencl:7");
}

TEST(Tensor, PrintingLooksLikePyTorch) {
  std::ostringstream os;
  os << tensor({1, 2}).reshape({1, 2});
  EXPECT_EQ(os.str(), "tensor([[1.0000, 2.0000]], shape=[1,2], dtype=float32)");
  std::ostringstream os2;
  os2 << arange(3);
  EXPECT_EQ(os2.str(), "tensor([0, 1, 2], shape=[3], dtype=int64)");
}

TEST(Tensor, SizeZeroTensors) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(sum(e).item(), 0.0);
  EXPECT_EQ(sum(e, {0}).shape(), (Shape{3}));
  EXPECT_EQ(add(e, ones({3})).shape(), (Shape{0, 3}));
  EXPECT_EMBER_ERROR(max(e), "empty");
}

TEST(Threading, SetNumThreads) {
  int before = get_num_threads();
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  set_num_threads(before);
  EXPECT_EMBER_ERROR(set_num_threads(0), "1 to 4096");
  EXPECT_EMBER_ERROR(set_num_threads(kMaxThreads + 1), "1 to 4096", "4097");
  EXPECT_EQ(get_num_threads(), before);
}

TEST(Threading, OmpNumThreadsFromTheEnvironmentIsBounded) {
  const char* old = std::getenv("OMP_NUM_THREADS");
  const std::string saved = old ? old : "";
  auto with = [](const char* v) {
    setenv("OMP_NUM_THREADS", v, 1);
    return check_omp_num_threads_env();
  };
  EXPECT_EQ(with("2"), "");
  EXPECT_EQ(with("4096"), "");
  EXPECT_EQ(with("4,2"), "");  // OpenMP's nested list: the first entry is the pool
  for (const char* bad : {"70000", "0", "-3", "abc", "", "99999999999999999999"})
    EXPECT_NE(with(bad).find("1 to 4096 threads"), std::string::npos) << bad;
  EXPECT_NE(with("70000").find("'70000'"), std::string::npos);
  if (old) setenv("OMP_NUM_THREADS", saved.c_str(), 1);
  else unsetenv("OMP_NUM_THREADS");
}

TEST(Threading, FlushDenormal) {
  const float tiny = 1e-40f;  // a float32 denormal
  ASSERT_LT(tiny, 1.17549435e-38f);
  Tensor x = full({1 << 18}, tiny);  // large enough for every pool thread to take a chunk
  ASSERT_TRUE(set_flush_denormal(true));
  EXPECT_TRUE(flush_denormal());
  Tensor flushed = mul(x, 1.5);
  // Restore IEEE mode before asserting, so a failure cannot leak the mode into other tests.
  set_flush_denormal(false);
  EXPECT_FALSE(flush_denormal());
  EXPECT_EQ(max(abs(flushed)).item(), 0.0);
  Tensor kept = mul(x, 1.5);
  EXPECT_FLOAT_EQ(static_cast<float>(min(kept).item()), tiny * 1.5f);
  EXPECT_FLOAT_EQ(static_cast<float>(max(kept).item()), tiny * 1.5f);
}
