// fetch_fashion_mnist tests, all offline: a local file:// mirror, the Debian fallback pointed at
// a temporary folder holding the package's four .gz files (synthetic, 60,000/10,000 images), the
// error when neither works (naming the package and the apt command), the install step with a
// stand-in command (never apt-get itself), the cache and --force, and refused sources.
#include "data/idx_fixtures.h"
#include "data/test_dir.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::data;
using namespace ember::test;

namespace {

const std::vector<std::string> kFiles = {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                                         "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"};

/// Options that can reach nothing real: a missing file:// mirror, a missing Debian folder, no
/// install, and a log collected into `log`.
FetchOptions offline(const TestDir& dir, std::vector<std::string>& log) {
  FetchOptions o;
  o.mirrors = std::vector<std::string>{"file://" + dir.path() + "/no-such-mirror/"};
  o.debian_dir = dir / "no-such-debian-dir";
  o.debian_install = false;
  o.timeout_s = 2;
  o.log = [&log](const std::string& s) { log.push_back(s); };
  return o;
}

bool logged(const std::vector<std::string>& log, const std::string& part) {
  for (const auto& l : log)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(FetchFashionMnist, DefaultsNameZalandosMirrorsAndDebiansFolder) {
  auto m = FetchOptions::default_mirrors("fashion-mnist");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");
  EXPECT_EQ(m[1], "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/");
  FetchOptions o;
  EXPECT_EQ(o.debian_dir, "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(o.debian_install, running_as_root());
  EXPECT_EQ(o.debian_install_command.back(), "dataset-fashion-mnist");
  EXPECT_EMBER_ERROR(FetchOptions::default_mirrors("cifar10"), "unknown dataset 'cifar10'");
}

TEST(FetchFashionMnist, LocalMirror) {
  TestDir dir;
  write_idx_gz_set(dir / "mirror");
  std::vector<std::string> log;
  FetchOptions o = offline(dir, log);
  o.mirrors = std::vector<std::string>{"file://" + dir.path() + "/no-such-mirror/", "file://" + dir.path() + "/mirror/"};
  FetchResult r = fetch_fashion_mnist(dir / "out", o);
  EXPECT_EQ(r.source, FetchSource::Mirrors);
  EXPECT_EQ(r.origin, "file://" + dir.path() + "/mirror/");
  EXPECT_EQ(r.train_count, 60000);
  EXPECT_EQ(r.test_count, 10000);
  EXPECT_TRUE(logged(log, "no-such-mirror")) << "the first mirror's failure is logged";
  EXPECT_EQ(files_in(dir / "out"), kFiles);  // no temporary folder left
  MnistDataset test(dir / "out", Split::Test, "fashion-mnist");
  EXPECT_EQ(test.labels()[13], 3);
}

TEST(FetchFashionMnist, DebianFolderAfterMirrorsFail) {
  TestDir dir;
  write_idx_gz_set(dir / "debian");
  std::vector<std::string> log;
  FetchOptions o = offline(dir, log);
  o.debian_dir = dir / "debian";
  FetchResult r = fetch_dataset("fashion-mnist", dir / "out", o);
  EXPECT_EQ(r.source, FetchSource::Debian);
  EXPECT_EQ(r.origin, dir / "debian");
  EXPECT_EQ(r.train_count, 60000);
  EXPECT_EQ(r.test_count, 10000);
  EXPECT_TRUE(logged(log, "no-such-mirror"));
  EXPECT_TRUE(logged(log, "copying " + dir / "debian/train-images-idx3-ubyte.gz"));
  EXPECT_EQ(files_in(dir / "out"), kFiles);
  EXPECT_EQ(files_in(dir / "debian"), kFiles);  // copied, not moved
  for (const auto& f : kFiles) EXPECT_EQ(read_bytes(dir / ("out/" + f)), read_bytes(dir / ("debian/" + f))) << f;

  // Only the Debian source: the mirrors are not tried.
  std::vector<std::string> log2;
  FetchOptions only = offline(dir, log2);
  only.debian_dir = dir / "debian";
  only.source = FetchSource::Debian;
  only.force = true;
  EXPECT_EQ(fetch_fashion_mnist(dir / "out2", only).source, FetchSource::Debian);
  EXPECT_FALSE(logged(log2, "no-such-mirror"));
}

TEST(FetchFashionMnist, NeitherSourceNamesThePackage) {
  TestDir dir;
  std::vector<std::string> log;
  FetchOptions o = offline(dir, log);
  EXPECT_EMBER_ERROR(fetch_fashion_mnist(dir / "out", o), "fetch_fashion_mnist", "could not fetch fashion-mnist",
                     "no-such-mirror", "curl", "no-such-debian-dir lacks train-images-idx3-ubyte.gz",
                     "dataset-fashion-mnist", "`sudo apt install dataset-fashion-mnist`");
  EXPECT_TRUE(files_in(dir / "out").empty()) << "nothing half-written is left behind";
}

TEST(FetchFashionMnist, InstallsThePackageWhenAllowed) {
  TestDir dir;
  write_idx_gz_set(dir / "package");  // what "installing" puts into the Debian folder
  std::vector<std::string> log;
  FetchOptions o = offline(dir, log);
  o.source = FetchSource::Debian;
  o.debian_install = true;  // as root
  o.debian_install_command = {"cp", "-R", dir / "package", o.debian_dir};
  FetchResult r = fetch_fashion_mnist(dir / "out", o);
  EXPECT_EQ(r.source, FetchSource::Debian);
  EXPECT_EQ(r.train_count, 60000);
  EXPECT_TRUE(logged(log, "installing Debian's package dataset-fashion-mnist (running as root): cp -R"));
  EXPECT_EQ(files_in(o.debian_dir), kFiles);

  // A failing install is an error naming the command and its exit code.
  FetchOptions bad = offline(dir, log);
  bad.debian_dir = dir / "still-missing";
  bad.source = FetchSource::Debian;
  bad.debian_install = true;
  bad.debian_install_command = {"false"};
  EXPECT_EMBER_ERROR(fetch_fashion_mnist(dir / "out-bad", bad), "false: exit code 1", "apt-get update");
  // An install that succeeds but leaves the folder empty is named as such.
  bad.debian_install_command = {"true"};
  EXPECT_EMBER_ERROR(fetch_fashion_mnist(dir / "out-bad", bad), "installed dataset-fashion-mnist, but",
                     "still lacks train-images-idx3-ubyte.gz");
}

TEST(FetchFashionMnist, CacheAndForce) {
  TestDir dir;
  write_idx_gz_set(dir / "debian");
  std::vector<std::string> log;
  FetchOptions o = offline(dir, log);
  o.debian_dir = dir / "debian";
  ASSERT_EQ(fetch_fashion_mnist(dir / "out", o).source, FetchSource::Debian);

  // Valid files there: nothing is fetched, even with every source gone.
  FetchOptions none = offline(dir, log);
  FetchResult cached = fetch_fashion_mnist(dir / "out", none);
  EXPECT_EQ(cached.source, FetchSource::Cache);
  EXPECT_EQ(cached.origin, dir / "out");
  EXPECT_EQ(cached.train_count, 60000);

  // --force fetches again; when that fails the old files are left as they were.
  const auto before = read_bytes(dir / "out/train-images-idx3-ubyte.gz");
  none.force = true;
  EXPECT_EMBER_ERROR(fetch_fashion_mnist(dir / "out", none), "could not fetch fashion-mnist");
  EXPECT_EQ(files_in(dir / "out"), kFiles);
  EXPECT_EQ(read_bytes(dir / "out/train-images-idx3-ubyte.gz"), before);
  o.force = true;
  EXPECT_EQ(fetch_fashion_mnist(dir / "out", o).source, FetchSource::Debian);

  // A broken file in the folder is not a cache: it is fetched over.
  write_bytes(dir / "out/t10k-labels-idx1-ubyte.gz", {0x1f, 0x8b, 0, 0});
  o.force = false;
  log.clear();
  EXPECT_EQ(fetch_fashion_mnist(dir / "out", o).source, FetchSource::Debian);
  EXPECT_TRUE(logged(log, "no usable fashion-mnist"));
}

TEST(FetchFashionMnist, WrongCountsAreRefused) {
  TestDir dir;
  write_idx_gz_set(dir / "debian", 600, 100);
  std::vector<std::string> log;
  FetchOptions o = offline(dir, log);
  o.debian_dir = dir / "debian";
  o.source = FetchSource::Debian;
  EXPECT_EMBER_ERROR(fetch_fashion_mnist(dir / "out", o), "expected 60000/10000 fashion-mnist samples, got 600/100");
  EXPECT_TRUE(files_in(dir / "out").empty());
}

TEST(FetchFashionMnist, SourcesOfOtherDatasetsAreRefused) {
  TestDir dir;
  std::vector<std::string> log;
  FetchOptions o = offline(dir, log);
  o.source = FetchSource::Npm;
  EXPECT_EMBER_ERROR(fetch_fashion_mnist(dir / "out", o), "source 'npm' does not apply to fashion-mnist",
                     "auto, mirrors, debian");
  o.source = FetchSource::Debian;
  EXPECT_EMBER_ERROR(fetch_mnist(dir / "out", o), "source 'debian' does not apply to mnist", "auto, mirrors, npm");
  o.source = FetchSource::Cache;
  EXPECT_EMBER_ERROR(fetch_fashion_mnist(dir / "out", o), "not a request");
  EXPECT_EMBER_ERROR(fetch_dataset("cifar10", dir / "out", o), "unknown dataset 'cifar10'", "mnist, fashion-mnist");
}
