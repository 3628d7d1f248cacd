// Classifier evaluation (see evaluation.h).
#include "evaluation.h"

namespace ember::cli {

EvalResult evaluate(nn::Module& model, const data::Dataset& dataset, const data::Normalize& norm, Device device,
                    int64_t num_classes, int64_t batch_size,
                    const std::function<void(int64_t done, int64_t total)>& on_batch) {
  bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  EvalResult r;
  r.confusion.assign(num_classes, std::vector<int64_t>(num_classes, 0));
  double loss_sum = 0;
  Generator unused;
  for (int64_t start = 0; start < dataset.size(); start += batch_size) {
    std::vector<int64_t> idx;
    for (int64_t i = start; i < std::min(dataset.size(), start + batch_size); ++i) idx.push_back(i);
    data::Batch b = dataset.get_batch(idx);
    norm(b, unused);
    Tensor logits = model(b.inputs.to(device));
    Tensor y = b.targets.to(device);
    loss_sum += cross_entropy(logits, y, 0.0, Reduction::Sum).item();
    std::vector<int64_t> pred = argmax(logits, 1).to_vector<int64_t>();
    std::vector<int64_t> truth = b.targets.to_vector<int64_t>();
    for (size_t i = 0; i < pred.size(); ++i) {
      EMBER_CHECK(truth[i] >= 0 && truth[i] < num_classes && pred[i] < num_classes, "evaluate: class out of range");
      r.confusion[truth[i]][pred[i]]++;
      r.correct += pred[i] == truth[i];
    }
    r.samples += static_cast<int64_t>(pred.size());
    if (on_batch) on_batch(r.samples, dataset.size());
  }
  r.loss = r.samples ? loss_sum / r.samples : 0.0;
  model.train(was_training);
  return r;
}

EvalResult evaluate_text(nn::Module& model, const data::TextCorpus& corpus, int64_t context, Device device,
                         const std::function<void(int64_t done, int64_t total)>& on_batch, int64_t batch_size) {
  bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  EvalResult r;
  const int64_t count = corpus.validation_windows(context);
  double loss_sum = 0;
  for (int64_t first = 0; first < count; first += batch_size) {
    const int64_t n = std::min(batch_size, count - first);
    data::Batch b = corpus.validation_batch(first, n, count, context);
    Tensor logits = model(b.inputs.to(device));
    Tensor y = b.targets.to(device).reshape({-1});
    Tensor flat = logits.reshape({-1, logits.size(-1)});
    loss_sum += cross_entropy(flat, y, 0.0, Reduction::Sum).item();
    r.correct += sum(eq(argmax(flat, 1), y)).item<int64_t>();
    r.samples += y.numel();
    if (on_batch) on_batch(first + n, count);
  }
  r.loss = r.samples ? loss_sum / static_cast<double>(r.samples) : 0.0;
  model.train(was_training);
  return r;
}

}  // namespace ember::cli
