// DataLoader tests: batch shapes, the last partial batch and drop_last, every index once per
// epoch, order determined by (seed, epoch), exact resumption at a start batch, identical
// batches with and without prefetching, early destruction, and worker exceptions reaching
// next().
#include <atomic>
#include <chrono>
#include <set>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::data;
using namespace ember::test;

namespace {

/// n examples: input i is a (1,2,2) image filled with i, target i.
std::shared_ptr<TensorDataset> counting_dataset(int64_t n) {
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 4; ++k) x.push_back(static_cast<float>(i));
    y.push_back(i);
  }
  return std::make_shared<TensorDataset>(from_vector(x, {n, 1, 2, 2}), from_vector(y, {n}));
}

std::vector<Batch> collect(EpochIterator it) {
  std::vector<Batch> out;
  Batch b;
  while (it.next(b)) out.push_back(b);
  return out;
}

std::vector<int64_t> targets_of(const std::vector<Batch>& bs) {
  std::vector<int64_t> all;
  for (const auto& b : bs)
    for (int64_t t : b.targets.to_vector<int64_t>()) all.push_back(t);
  return all;
}

/// Adds uniform noise from the batch generator: makes every batch depend on its generator.
void noise(Batch& b, Generator& g) {
  Tensor x = b.inputs.clone();
  float* p = x.data_ptr<float>();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] += static_cast<float>(g.uniform());
  b.inputs = x;
}

void expect_same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_ALLCLOSE(a[i].inputs, b[i].inputs, 0, 0);
    EXPECT_ALLCLOSE(a[i].targets, b[i].targets, 0, 0);
  }
}

}  // namespace

TEST(DataLoader, BatchShapesAndPartialLastBatch) {
  DataLoader loader(counting_dataset(10), {.batch_size = 4, .shuffle = false});
  EXPECT_EQ(loader.batches_per_epoch(), 3);
  auto bs = collect(loader.epoch(0));
  ASSERT_EQ(bs.size(), 3u);
  EXPECT_EQ(bs[0].inputs.shape(), (Shape{4, 1, 2, 2}));
  EXPECT_EQ(bs[0].targets.shape(), (Shape{4}));
  EXPECT_EQ(bs[2].inputs.shape(), (Shape{2, 1, 2, 2}));
  EXPECT_EQ(targets_of(bs), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_FLOAT_EQ(bs[1].inputs.to_vector<float>()[4], 5.0f);

  DataLoader dropping(counting_dataset(10), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(dropping.batches_per_epoch(), 2);
  auto ds = collect(dropping.epoch(0));
  ASSERT_EQ(ds.size(), 2u);
  for (const auto& b : ds) EXPECT_EQ(b.size(), 4);
}

TEST(DataLoader, EveryIndexOncePerEpoch) {
  DataLoader loader(counting_dataset(103), {.batch_size = 8, .seed = 5});
  for (int64_t e = 0; e < 3; ++e) {
    auto t = targets_of(collect(loader.epoch(e)));
    ASSERT_EQ(t.size(), 103u);
    EXPECT_EQ(std::set<int64_t>(t.begin(), t.end()).size(), 103u);
    EXPECT_EQ(t, loader.epoch_order(e));
  }
}

TEST(DataLoader, OrderDependsOnSeedAndEpochOnly) {
  auto ds = counting_dataset(50);
  DataLoader a(ds, {.batch_size = 7, .seed = 11}), b(ds, {.batch_size = 7, .seed = 11, .prefetch = 0});
  DataLoader c(ds, {.batch_size = 7, .seed = 12});
  EXPECT_EQ(targets_of(collect(a.epoch(3))), targets_of(collect(b.epoch(3))));
  EXPECT_NE(a.epoch_order(0), a.epoch_order(1));
  EXPECT_NE(a.epoch_order(0), c.epoch_order(0));
  std::vector<int64_t> sorted(50);
  for (int64_t i = 0; i < 50; ++i) sorted[i] = i;
  EXPECT_NE(a.epoch_order(0), sorted);
  // Iterating other epochs first changes nothing.
  auto first = a.epoch_order(2);
  collect(a.epoch(0));
  EXPECT_EQ(a.epoch_order(2), first);
}

TEST(DataLoader, StartBatchResumesExactly) {
  DataLoader loader(counting_dataset(37), {.batch_size = 5, .seed = 3, .transform = noise});
  auto full = collect(loader.epoch(4));
  ASSERT_EQ(full.size(), 8u);
  auto resumed = collect(loader.epoch(4, 3));
  expect_same_batches(resumed, std::vector<Batch>(full.begin() + 3, full.end()));
  EXPECT_TRUE(collect(loader.epoch(4, 8)).empty());
  EXPECT_ALLCLOSE(loader.batch(4, 6).inputs, full[6].inputs, 0, 0);
  EXPECT_EMBER_ERROR(loader.epoch(4, 9), "start_batch 9", "0..8");
  EXPECT_EMBER_ERROR(loader.epoch(-1), "epoch must be >= 0");
}

TEST(DataLoader, PrefetchOnAndOffGiveIdenticalBatches) {
  auto ds = counting_dataset(64);
  for (int64_t prefetch : {1, 2, 5}) {
    DataLoader sync(ds, {.batch_size = 6, .seed = 9, .prefetch = 0, .transform = noise});
    DataLoader async(ds, {.batch_size = 6, .seed = 9, .prefetch = prefetch, .transform = noise});
    expect_same_batches(collect(sync.epoch(2)), collect(async.epoch(2)));
  }
  // Augmentation differs between batches and epochs (the generator is per batch).
  DataLoader l(ds, {.batch_size = 64, .shuffle = false, .transform = noise});
  EXPECT_FALSE(allclose(l.batch(0, 0).inputs, l.batch(1, 0).inputs, 0, 0));
}

TEST(DataLoader, EarlyDestructionStopsWorker) {
  std::atomic<int> produced{0};
  auto counting = [&](Batch&, Generator&) { ++produced; };
  DataLoader loader(counting_dataset(1000), {.batch_size = 1, .prefetch = 3, .transform = counting});
  auto start = std::chrono::steady_clock::now();
  for (int rep = 0; rep < 20; ++rep) {
    auto it = loader.epoch(rep);
    Batch b;
    ASSERT_TRUE(it.next(b));
  }  // destroyed with 999 batches left
  { auto unused = loader.epoch(0); }  // destroyed before any next()
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_LT(produced.load(), 21 * 6);  // the worker stayed within its prefetch window
}

TEST(DataLoader, WorkerExceptionPropagatesToNext) {
  auto failing = [](Batch& b, Generator&) {
    if (b.targets.to_vector<int64_t>()[0] == 12) EMBER_FAIL("transform failed on purpose");
  };
  for (int64_t prefetch : {0, 2}) {
    DataLoader loader(counting_dataset(20), {.batch_size = 4, .shuffle = false, .prefetch = prefetch, .transform = failing});
    auto it = loader.epoch(0);
    Batch b;
    int served = 0;
    try {
      while (it.next(b)) ++served;
      ADD_FAILURE() << "expected an exception";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("on purpose"), std::string::npos);
    }
    EXPECT_EQ(served, 3);  // batches before the failing one arrive first
  }
  // A transform that rejects the input shape reports it through next() too.
  DataLoader bad(std::make_shared<TensorDataset>(zeros({4, 3}), zeros({4})),
                 {.batch_size = 2, .prefetch = 2, .transform = Normalize({0.5}, {0.5})});
  auto it = bad.epoch(0);
  Batch b;
  EXPECT_EMBER_ERROR(it.next(b), "Normalize", "(N,C,H,W)");
}

TEST(DataLoader, RejectsBadOptions) {
  EXPECT_EMBER_ERROR(DataLoader(nullptr), "dataset is null");
  EXPECT_EMBER_ERROR(DataLoader(counting_dataset(3), {.batch_size = 0}), "batch_size");
  EXPECT_EMBER_ERROR(DataLoader(counting_dataset(3), {.prefetch = -1}), "prefetch");
  EXPECT_EMBER_ERROR(TensorDataset(zeros({3, 2}), zeros({4})), "TensorDataset", "[3,2]", "[4]");
}
