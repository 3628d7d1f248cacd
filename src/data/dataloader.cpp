// DataLoader: per-epoch deterministic order (Fisher-Yates on a generator seeded from seed and
// epoch), per-batch augmentation generators, and the prefetching EpochIterator whose worker
// thread fills a bounded queue, stops when the iterator dies and hands exceptions to next().
#include "ember/data/dataloader.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "ember/autograd.h"

namespace ember::data {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A seed derived from several values; different tuples give unrelated streams.
uint64_t mix_seed(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (uint64_t p : parts) h = splitmix64(h ^ splitmix64(p));
  return h;
}

constexpr uint64_t kOrderTag = 0x6f72646572ULL;    // "order"
constexpr uint64_t kAugmentTag = 0x6175676dULL;    // "augm"

}  // namespace

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  EMBER_CHECK(dataset_ != nullptr, "DataLoader: dataset is null");
  EMBER_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be >= 1, got ", options_.batch_size);
  EMBER_CHECK(options_.prefetch >= 0, "DataLoader: prefetch must be >= 0, got ", options_.prefetch);
}

int64_t DataLoader::batches_per_epoch() const {
  int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  EMBER_CHECK(epoch >= 0, "DataLoader: epoch must be >= 0, got ", epoch);
  std::vector<int64_t> order(static_cast<size_t>(dataset_->size()));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) {
    // Our own Fisher-Yates (std::shuffle's draws differ between standard libraries).
    Generator g(mix_seed({kOrderTag, options_.seed, static_cast<uint64_t>(epoch)}));
    for (size_t i = order.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(g.next_u64() % i);
      std::swap(order[i - 1], order[j]);
    }
  }
  return order;
}

namespace {

Batch make_batch(const Dataset& ds, const DataLoaderOptions& opt, const std::vector<int64_t>& order,
                 int64_t epoch, int64_t b) {
  NoGradGuard ng;
  int64_t begin = b * opt.batch_size;
  int64_t end = std::min<int64_t>(begin + opt.batch_size, static_cast<int64_t>(order.size()));
  std::vector<int64_t> idx(order.begin() + begin, order.begin() + end);
  Batch batch = ds.get_batch(idx);
  if (opt.transform) {
    Generator g(mix_seed({kAugmentTag, opt.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(b)}));
    opt.transform(batch, g);
  }
  return batch;
}

}  // namespace

Batch DataLoader::batch(int64_t epoch, int64_t b) const {
  EMBER_CHECK(b >= 0 && b < batches_per_epoch(), "DataLoader::batch: batch ", b, " out of range for ",
              batches_per_epoch(), " batches per epoch");
  return make_batch(*dataset_, options_, epoch_order(epoch), epoch, b);
}

struct EpochIterator::State {
  std::shared_ptr<const Dataset> dataset;
  DataLoaderOptions options;
  std::vector<int64_t> order;
  int64_t epoch = 0, next_batch = 0, end_batch = 0;

  // Prefetching: the worker produces batches [produced, end_batch) into `ready`.
  std::thread worker;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Batch> ready;
  std::exception_ptr error;  // raised after the batches queued before it
  bool stop = false, worker_done = false;

  void run_worker(int64_t first) {
    for (int64_t b = first; b < end_batch; ++b) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || static_cast<int64_t>(ready.size()) < options.prefetch; });
        if (stop) break;
      }
      try {
        Batch batch = make_batch(*dataset, options, order, epoch, b);
        std::lock_guard<std::mutex> lock(mu);
        ready.push_back(std::move(batch));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        error = std::current_exception();
        break;
      }
      cv.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu);
    worker_done = true;
    cv.notify_all();
  }

  void shutdown() {
    if (!worker.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    worker.join();
  }
};

EpochIterator DataLoader::epoch(int64_t epoch, int64_t start_batch) const {
  int64_t n = batches_per_epoch();
  EMBER_CHECK(start_batch >= 0 && start_batch <= n, "DataLoader::epoch: start_batch ", start_batch,
              " out of range 0..", n);
  auto s = std::make_unique<EpochIterator::State>();
  s->dataset = dataset_;
  s->options = options_;
  s->order = epoch_order(epoch);
  s->epoch = epoch;
  s->next_batch = start_batch;
  s->end_batch = n;
  if (options_.prefetch > 0 && start_batch < n) {
    EpochIterator::State* raw = s.get();
    s->worker = std::thread([raw, start_batch] { raw->run_worker(start_batch); });
  }
  return EpochIterator(std::move(s));
}

EpochIterator::EpochIterator(std::unique_ptr<State> state) : state_(std::move(state)) {}
EpochIterator::EpochIterator(EpochIterator&&) noexcept = default;
EpochIterator& EpochIterator::operator=(EpochIterator&& o) noexcept {
  if (this != &o) {
    if (state_) state_->shutdown();
    state_ = std::move(o.state_);
  }
  return *this;
}
EpochIterator::~EpochIterator() {
  if (state_) state_->shutdown();
}

int64_t EpochIterator::batch_index() const { return state_ ? state_->next_batch : 0; }

bool EpochIterator::next(Batch& out) {
  EMBER_CHECK(state_ != nullptr, "EpochIterator::next: iterator was moved from");
  State& s = *state_;
  if (s.next_batch >= s.end_batch) return false;
  if (!s.worker.joinable()) {  // synchronous
    out = make_batch(*s.dataset, s.options, s.order, s.epoch, s.next_batch);
    ++s.next_batch;
    return true;
  }
  std::unique_lock<std::mutex> lock(s.mu);
  s.cv.wait(lock, [&] { return !s.ready.empty() || s.error || s.worker_done; });
  if (!s.ready.empty()) {
    out = std::move(s.ready.front());
    s.ready.pop_front();
    ++s.next_batch;
    lock.unlock();
    s.cv.notify_all();
    return true;
  }
  if (s.error) {
    std::exception_ptr e = s.error;
    s.error = nullptr;
    s.end_batch = s.next_batch;  // the epoch cannot continue past a failed batch
    lock.unlock();
    std::rethrow_exception(e);
  }
  EMBER_FAIL("EpochIterator::next: worker stopped before batch ", s.next_batch);
}

}  // namespace ember::data
