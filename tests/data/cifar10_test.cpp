// CIFAR-10 binary batch tests: synthetic files parse to the right labels, CHW pixel values and
// batches; a missing batch, a bad length, an empty file and an out-of-range label are errors
// naming the file.
#include "data/test_dir.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::data;
using namespace ember::test;

namespace {

/// n records with labels (first + r) % 10 and pixel k of record r = (r + k) % 256.
std::vector<uint8_t> records(int n, int first) {
  std::vector<uint8_t> b;
  for (int r = 0; r < n; ++r) {
    b.push_back(static_cast<uint8_t>((first + r) % 10));
    for (int k = 0; k < 3072; ++k) b.push_back(static_cast<uint8_t>((r + k) % 256));
  }
  return b;
}

void write_cifar(const std::string& dir) {
  for (int i = 1; i <= 5; ++i) write_bytes(dir + "/data_batch_" + std::to_string(i) + ".bin", records(2, i));
  write_bytes(dir + "/test_batch.bin", records(3, 7));
}

}  // namespace

TEST(Cifar10Dataset, ParsesSyntheticBatches) {
  TestDir dir;
  write_cifar(dir.path());
  Cifar10Dataset train(dir.path(), Split::Train), test(dir.path(), Split::Test);
  EXPECT_EQ(train.size(), 10);
  EXPECT_EQ(test.size(), 3);
  // Files are read in order: record 1 of data_batch_2 is example 3 with label (2+1)%10.
  Example e = train.get(3);
  EXPECT_EQ(e.input.shape(), (Shape{3, 32, 32}));
  EXPECT_EQ(e.target.item<int64_t>(), 3);
  auto v = e.input.to_vector<float>();
  EXPECT_FLOAT_EQ(v[0], 1 / 255.0f);            // red (0,0): (1 + 0) % 256
  EXPECT_FLOAT_EQ(v[1024 + 5], 1030 % 256 / 255.0f);  // green (0,5): k = 1029
  Batch b = test.get_batch({2, 0});
  EXPECT_EQ(b.inputs.shape(), (Shape{2, 3, 32, 32}));
  EXPECT_EQ(b.targets.to_vector<int64_t>(), (std::vector<int64_t>{9, 7}));
  EXPECT_ALLCLOSE(b.inputs.select(0, 1), test.get(0).input, 0, 0);
  EXPECT_EQ(Cifar10Dataset::class_names().at(9), "truck");
}

TEST(Cifar10Dataset, AcceptsNestedArchiveDirectory) {
  TestDir dir;
  std::filesystem::create_directory(dir / "cifar-10-batches-bin");
  write_cifar(dir / "cifar-10-batches-bin");
  EXPECT_EQ(Cifar10Dataset(dir.path(), Split::Test).size(), 3);
}

TEST(Cifar10Dataset, ErrorsNameTheFile) {
  TestDir dir;
  write_cifar(dir.path());
  std::filesystem::remove(dir / "data_batch_4.bin");
  EXPECT_EMBER_ERROR(Cifar10Dataset(dir.path(), Split::Train), "data_batch_4.bin", "not found");
  auto b = records(2, 0);
  b.pop_back();
  write_bytes(dir / "data_batch_4.bin", b);
  EXPECT_EMBER_ERROR(Cifar10Dataset(dir.path(), Split::Train), "data_batch_4.bin", "6145", "3073");
  write_bytes(dir / "test_batch.bin", {});
  EXPECT_EMBER_ERROR(Cifar10Dataset(dir.path(), Split::Test), "test_batch.bin", "empty");
  b = records(2, 0);
  b[3073] = 10;
  write_bytes(dir / "test_batch.bin", b);
  EXPECT_EMBER_ERROR(Cifar10Dataset(dir.path(), Split::Test), "test_batch.bin", "record 1", "label 10");
  write_cifar(dir.path());
  EXPECT_EMBER_ERROR(Cifar10Dataset(dir.path(), Split::Test).get(3), "Cifar10Dataset::get", "3");
}
