// The image and text training tasks (see train_task.h).
#include "train_task.h"

#include <cmath>

#include "ember/data/text.h"
#include "models/zoo.h"

namespace ember::cli {

Tensor task_loss(const Tensor& logits, const Tensor& targets, double label_smoothing) {
  const int64_t C = logits.size(-1);
  return cross_entropy(logits.reshape({-1, C}), targets.reshape({-1}), label_smoothing);
}

int64_t task_correct(const Tensor& logits, const Tensor& targets) {
  NoGradGuard ng;
  const int64_t C = logits.size(-1);
  return sum(eq(argmax(logits.reshape({-1, C}), 1), targets.reshape({-1}))).item<int64_t>();
}

namespace {

class ImageStream : public BatchStream {
 public:
  explicit ImageStream(data::EpochIterator it) : it_(std::move(it)) {}
  bool next(data::Batch& out) override { return it_.next(out); }
  int64_t batch_index() const override { return it_.batch_index(); }

 private:
  data::EpochIterator it_;
};

class ImageTask : public TrainTask {
 public:
  explicit ImageTask(const TrainConfig& c)
      : c_(c),
        train_(make_dataset(c.dataset, c.data_dir, data::Split::Train, c.train_limit)),
        test_(make_dataset(c.dataset, c.data_dir, data::Split::Test)),
        norm_(input_normalization(c.dataset)),
        loader_(train_, loader_options(c)) {}
  int64_t batches_per_epoch() const override { return loader_.batches_per_epoch(); }
  std::string describe() const override {
    return std::to_string(train_->size()) + " train / " + std::to_string(test_->size()) + " test samples";
  }
  const char* unit() const override { return "samples"; }
  std::unique_ptr<BatchStream> epoch(int64_t e, int64_t start) override {
    return std::make_unique<ImageStream>(loader_.epoch(e, start));
  }
  EvalResult evaluate(nn::Module& model, Device device, const std::function<void(int64_t, int64_t)>& on_batch) override {
    return cli::evaluate(model, *test_, norm_, device, 10, 500, on_batch);
  }
  nn::ModulePtr make_model() const override { return make_model_for(c_.model, c_.dataset); }
  std::map<std::string, std::string> weights_metadata() const override {
    return {{"format", "pt"}, {"model", c_.model}, {"dataset", c_.dataset}, {"producer", "ember"}};
  }

 private:
  static data::DataLoaderOptions loader_options(const TrainConfig& c) {
    data::DataLoaderOptions lo;
    lo.batch_size = c.batch_size;
    lo.seed = c.seed;
    lo.transform = c.train_transform();
    return lo;
  }
  TrainConfig c_;
  std::shared_ptr<const data::Dataset> train_, test_;
  data::Normalize norm_;
  data::DataLoader loader_;
};

class TextStream : public BatchStream {
 public:
  TextStream(const data::TextCorpus& corpus, const TrainConfig& c, int64_t epoch, int64_t start, int64_t per_epoch)
      : corpus_(corpus), c_(c), epoch_(epoch), batch_(start), per_epoch_(per_epoch) {}
  bool next(data::Batch& out) override {
    if (batch_ >= per_epoch_) return false;
    out = corpus_.training_batch(c_.seed, epoch_ * per_epoch_ + batch_, c_.batch_size, c_.training_context());
    ++batch_;
    return true;
  }
  int64_t batch_index() const override { return batch_; }

 private:
  const data::TextCorpus& corpus_;
  const TrainConfig& c_;
  int64_t epoch_, batch_, per_epoch_;
};

class TextTask : public TrainTask {
 public:
  explicit TextTask(const TrainConfig& c)
      : c_(c), corpus_(data::TextCorpus::from_file(c.data_file, c.training_context() + 2)) {}
  int64_t batches_per_epoch() const override { return c_.steps_per_epoch; }
  std::string describe() const override {
    return std::to_string(corpus_.split_size(data::Split::Train)) + " train / " +
           std::to_string(corpus_.split_size(data::Split::Test)) + " validation bytes of " + c_.data_file;
  }
  const char* unit() const override { return "chars"; }
  std::unique_ptr<BatchStream> epoch(int64_t e, int64_t start) override {
    return std::make_unique<TextStream>(corpus_, c_, e, start, c_.steps_per_epoch);
  }
  EvalResult evaluate(nn::Module& model, Device device, const std::function<void(int64_t, int64_t)>& on_batch) override {
    return evaluate_text(model, corpus_, c_.training_context(), device, on_batch);
  }
  nn::ModulePtr make_model() const override { return models::make_text_model(c_.model, c_.text_config()); }
  std::map<std::string, std::string> weights_metadata() const override {
    const models::TextModelConfig t = c_.text_config();
    return {{"format", "pt"},
            {"model", c_.model},
            {"dataset", "text"},
            {"producer", "ember"},
            {"text_model", text_config_json(t).dump()}};
  }

 private:
  TrainConfig c_;
  data::TextCorpus corpus_;
};

}  // namespace

std::unique_ptr<TrainTask> make_train_task(const TrainConfig& c) {
  if (c.is_text()) return std::make_unique<TextTask>(c);
  return std::make_unique<ImageTask>(c);
}

}  // namespace ember::cli
