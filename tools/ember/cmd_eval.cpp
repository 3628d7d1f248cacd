// `ember eval`: accuracy, loss and confusion matrix (rows named by class) of saved weights on a
// dataset's test split; for a language model, nats and bits per character on held-out text.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include "commands.h"
#include "evaluation.h"
#include "flag_checks.h"
#include "progress.h"
#include "recipe.h"

namespace ember::cli {
namespace {

struct EvalArgs {
  std::string model = "lenet", weights, dataset, data_dir, data_file, device = "cpu", split = "test";
  int64_t batch_size = 500;
  int64_t context = 0;
  bool json = false;
};

/// A language model on the held-out last 10% of a text file: nats and bits per character.
int run_eval_text(const EvalArgs& a, Device device) {
  if (a.data_file.empty()) throw UsageError("--dataset text needs --data-file FILE (the last 10% is what is evaluated)");
  if (a.split != "test") throw UsageError("--dataset text evaluates the held-out text only (--split test)");
  models::TextModelPtr m = load_text_model(a.model, a.weights, device);
  const int64_t T = a.context ? a.context : (m->max_context() ? m->max_context() : 128);
  const data::TextCorpus corpus = data::TextCorpus::from_file(a.data_file, T + 2);
  EvalResult r = evaluate_text(*m, corpus, T, device, nullptr, std::min<int64_t>(a.batch_size, 64));
  const double bits = r.loss / std::log(2.0);
  if (a.json) {
    std::cout << nlohmann::json{{"loss", r.loss}, {"bits_per_char", bits}, {"accuracy", r.accuracy()},
                                {"chars", r.samples}, {"context", T}, {"model", a.model}, {"weights", a.weights},
                                {"dataset", "text"}, {"data_file", a.data_file}}
                     .dump()
              << std::endl;
    return 0;
  }
  std::printf("%s on the last 10%% of %s (%lld chars in windows of %lld): loss %.4f nats/char (%.3f bits/char), "
              "next-char accuracy %.2f%%\n",
              a.weights.c_str(), a.data_file.c_str(), static_cast<long long>(r.samples), static_cast<long long>(T),
              r.loss, bits, 100 * r.accuracy());
  return 0;
}

int run_eval(const EvalArgs& a) {
  const Device device = resolve_device(a.device);
  if (models::is_text_model(a.model) || a.dataset == "text") {
    if (!models::is_text_model(a.model))
      throw UsageError("--dataset text evaluates a language model (charlstm, gpt), not '" + a.model + "'");
    return run_eval_text(a, device);
  }
  if (!a.data_file.empty() || a.context != 0) throw UsageError("--data-file and --context apply to --dataset text");
  if (a.data_dir.empty())
    throw UsageError("--dataset " + (a.dataset.empty() ? std::string("mnist") : a.dataset) + " needs --data-dir DIR");
  std::string trained_on;
  nn::ModulePtr model = load_model(a.model, a.weights, device, &trained_on);
  const std::string dataset = resolve_dataset(a.dataset, trained_on, a.weights);
  const std::vector<std::string> names = data::class_names(dataset);
  auto ds = make_dataset(dataset, a.data_dir, a.split == "train" ? data::Split::Train : data::Split::Test);
  Progress bar(stderr, /*plain_lines=*/false);  // a bar on a terminal; stdout keeps only the result
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t batches = (ds->size() + a.batch_size - 1) / a.batch_size;
  EvalResult r = evaluate(*model, *ds, input_normalization(dataset), device, static_cast<int64_t>(names.size()), a.batch_size, [&](int64_t done, int64_t total) {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bar.update({"eval", (done + a.batch_size - 1) / a.batch_size, batches, samples_per_second(done, el), NAN,
                eta_seconds(done, el, total - done)});
  });
  bar.clear();
  if (a.json) {
    std::cout << nlohmann::json{{"accuracy", r.accuracy()}, {"loss", r.loss}, {"samples", r.samples},
                                {"correct", r.correct}, {"confusion", r.confusion}, {"classes", names},
                                {"model", a.model}, {"weights", a.weights}, {"dataset", dataset}, {"split", a.split}}
                     .dump()
              << std::endl;
    return 0;
  }
  std::printf("%s on %s %s (%lld samples): accuracy %.2f%% (%lld correct), loss %.4f\n", a.weights.c_str(),
              dataset.c_str(), a.split.c_str(), static_cast<long long>(r.samples), 100 * r.accuracy(),
              static_cast<long long>(r.correct), r.loss);
  // Rows carry the class names where they are not just the numbers (Fashion-MNIST's garments).
  size_t width = 0;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] != std::to_string(i)) width = std::max(width, names[i].size() + 1);
  std::printf("confusion matrix (rows: true class, columns: predicted)\n%*s      ", static_cast<int>(width), "");
  for (size_t j = 0; j < r.confusion.size(); ++j) std::printf("%6zu", j);
  std::printf("\n");
  for (size_t i = 0; i < r.confusion.size(); ++i) {
    std::printf("%6zu%s%-*s", i, width ? " " : "", static_cast<int>(width ? width - 1 : 0), width ? names[i].c_str() : "");
    for (int64_t v : r.confusion[i]) std::printf("%6lld", static_cast<long long>(v));
    std::printf("\n");
  }
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate saved weights: accuracy, loss and a confusion matrix");
  std::vector<std::string> models = models::model_names();
  cmd->add_option("--model", a->model, "Model from the zoo")->check(CLI::IsMember(models))->capture_default_str();
  cmd->add_option("--weights", a->weights,
                  "safetensors weights (ember's model.safetensors or PyTorch's for the same model; not a checkpoint)")
      ->required();
  cmd->add_option("--dataset", a->dataset,
                  "mnist, fashion-mnist (default: the one the weights were trained on, else mnist), or text (the "
                  "language models' default)")
      ->check(CLI::IsMember(dataset_names()));
  cmd->add_option("--data-dir", a->data_dir, "Directory with the image dataset's files");
  cmd->add_option("--data-file", a->data_file, "--dataset text: the text file (its last 10% is evaluated)");
  cmd->add_option("--context", a->context, "--dataset text: window length (default: the gpt's context, else 128)")
      ->check(whole_in(1, 1 << 20));
  cmd->add_option("--split", a->split, "Which split")->check(CLI::IsMember({"train", "test"}))->capture_default_str();
  cmd->add_option("--batch-size", a->batch_size, "Batch size")->check(whole_in(1, int64_t{1} << 20))->capture_default_str();
  cmd->add_option("--device", a->device, "Device: cpu, opencl:N, cuda:N (see 'ember device')")
      ->check(device_syntax())->capture_default_str();
  cmd->add_flag("--json", a->json, "Last stdout line is a JSON object");
  return {cmd, [a] { return run_eval(*a); }};
}

}  // namespace ember::cli
