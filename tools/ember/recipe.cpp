// Training recipe factories (see recipe.h).
#include "recipe.h"

#include <algorithm>

#include "models/zoo.h"

namespace ember::cli {

namespace {
/// The first `limit` examples of another dataset.
class Prefix : public data::Dataset {
 public:
  Prefix(std::shared_ptr<const data::Dataset> d, int64_t n) : d_(std::move(d)), n_(n) {}
  int64_t size() const override { return n_; }
  data::Example get(int64_t i) const override {
    check_index("dataset prefix", i);
    return d_->get(i);
  }
  data::Batch get_batch(const std::vector<int64_t>& idx) const override {
    for (int64_t i : idx) check_index("dataset prefix", i);
    return d_->get_batch(idx);
  }

 private:
  std::shared_ptr<const data::Dataset> d_;
  int64_t n_;
};
}  // namespace

void TrainConfig::apply_model_recipe(const std::vector<std::string>& given) {
  auto unset = [&](const char* flag) { return std::find(given.begin(), given.end(), flag) == given.end(); };
  const bool text_model = models::is_text_model(model);
  if (text_model && unset("--dataset")) dataset = "text";
  if (is_text()) {
    EMBER_CHECK(text_model, "--dataset text trains a language model (--model charlstm or gpt), not '", model, "'");
    for (const char* f : {"--shift", "--crop-padding", "--flip", "--no-flip", "--data-dir", "--train-limit"})
      EMBER_CHECK(unset(f), f, " applies to image datasets, not --dataset text");
    EMBER_CHECK(!data_file.empty(), "--dataset text needs --data-file FILE (any text; the last 10% is held out)");
    // Text recipe: random windows of 32 x context, AdamW with warm-up and cosine decay
    // (onecycle), no label smoothing (the loss is the model's nats per character).
    if (unset("--batch-size")) batch_size = 32;
    if (unset("--epochs")) epochs = 10;
    if (unset("--steps-per-epoch")) steps_per_epoch = 600;
    if (unset("--lr")) lr = 3e-3;
    if (unset("--weight-decay")) weight_decay = 0.1;
    if (unset("--label-smoothing")) label_smoothing = 0;
    shift = 0;
    return;
  }
  EMBER_CHECK(!text_model, "model '", model, "' is a language model: train it with --dataset text --data-file FILE");
  for (const char* f : {"--data-file", "--context", "--steps-per-epoch", "--layers", "--heads", "--width", "--dropout"})
    EMBER_CHECK(unset(f), f, " applies to --dataset text only");
  EMBER_CHECK(!data_dir.empty(), "--dataset ", dataset, " needs --data-dir DIR (see 'ember data fetch')");
  if (model.rfind("resnet", 0) != 0) return;  // mlp, lenet: the struct's defaults are their recipe
  if (unset("--epochs")) epochs = 30;
  if (unset("--batch-size")) batch_size = 128;
  if (unset("--optimizer")) optimizer = "sgd";
  if (unset("--schedule")) schedule = "onecycle";
  if (unset("--shift")) shift = 0;
  if (unset("--crop-padding")) crop_padding = 2;
  if (unset("--flip")) flip = true;
}

data::BatchTransform TrainConfig::train_transform() const {
  std::vector<data::BatchTransform> t;
  if (shift > 0) t.emplace_back(data::RandomShift(shift));
  if (crop_padding > 0) t.emplace_back(data::RandomCrop(28, crop_padding));
  if (flip) t.emplace_back(data::RandomHorizontalFlip(0.5));
  t.emplace_back(input_normalization(dataset));
  return data::Compose(std::move(t));
}

models::TextModelConfig TrainConfig::text_config() const {
  models::TextModelConfig t;
  t.context = context;
  t.layers = layers;
  t.heads = heads;
  t.width = width;
  t.dropout = dropout;
  return models::resolve_text_config(model, t);
}

double TrainConfig::effective_lr() const {
  if (lr > 0) return lr;
  if (optimizer == "sgd") return schedule == "onecycle" ? 0.1 : 0.05;
  return schedule == "onecycle" ? 6e-3 : 1e-3;
}

double TrainConfig::effective_weight_decay() const {
  if (weight_decay >= 0) return weight_decay;
  if (optimizer == "adamw") return 1e-2;  // decoupled, PyTorch's default
  return optimizer == "sgd" ? 5e-4 : 0.0;
}

nlohmann::json TrainConfig::to_json() const {
  nlohmann::json j = {{"model", model},         {"dataset", dataset},       {"epochs", epochs},
          {"batch_size", batch_size}, {"lr", effective_lr()},   {"optimizer", optimizer},
          {"schedule", schedule},   {"weight_decay", effective_weight_decay()}, {"momentum", momentum},
          {"shift", shift}, {"crop_padding", crop_padding}, {"flip", flip},         {"label_smoothing", label_smoothing}, {"device", device}, {"precision", precision},
          {"seed", seed},           {"train_limit", train_limit}};
  if (is_text()) {
    const models::TextModelConfig t = text_config();
    j["data_file"] = data_file;
    j["context"] = training_context();
    j["steps_per_epoch"] = steps_per_epoch;
    j["layers"] = t.layers;
    j["heads"] = t.heads;
    j["width"] = t.width;
    j["dropout"] = t.dropout;
  }
  return j;
}

int64_t TrainConfig::training_context() const { return context ? context : (model == "gpt" ? text_config().context : 128); }

std::vector<std::string> dataset_names(bool images_only) {
  if (images_only) return {std::begin(kImageDatasets), std::end(kImageDatasets)};
  return {std::begin(kDatasets), std::end(kDatasets)};
}

namespace {
std::string known_datasets() {
  std::string s;
  for (const char* d : kDatasets) s += (s.empty() ? "" : ", ") + std::string(d);
  return s;
}
}  // namespace

std::shared_ptr<const data::Dataset> make_dataset(const std::string& name, const std::string& dir, data::Split split,
                                                  int64_t limit) {
  // Both are the same four 28x28 IDX files with labels 0..9.
  EMBER_CHECK(name == "mnist" || name == "fashion-mnist", "unknown dataset '", name, "' (known: ", known_datasets(), ")");
  std::shared_ptr<const data::Dataset> d = std::make_shared<data::MnistDataset>(dir, split, name);
  if (limit > 0 && limit < d->size()) d = std::make_shared<Prefix>(d, limit);
  return d;
}

data::Normalize input_normalization(const std::string& dataset) {
  if (dataset == "mnist") return data::Normalize({0.1307}, {0.3081});
  if (dataset == "fashion-mnist") return data::Normalize({0.2860}, {0.3530});
  EMBER_FAIL("unknown dataset '", dataset, "' (known: ", known_datasets(), ")");
}

std::string resolve_dataset(const std::string& flag, const std::string& trained_on, const std::string& weights) {
  const auto names = dataset_names();
  EMBER_CHECK(trained_on.empty() || std::find(names.begin(), names.end(), trained_on) != names.end(), "the weights ",
              weights, " name an unknown dataset '", trained_on, "' in their metadata (known: ", known_datasets(), ")");
  if (flag.empty()) return trained_on.empty() ? "mnist" : trained_on;
  EMBER_CHECK(trained_on.empty() || trained_on == flag, "--dataset ", flag, ": the weights ", weights,
              " were trained on ", trained_on, " (leave --dataset out to use it)");
  return flag;
}

nn::ModulePtr make_model_for(const std::string& name, const std::string& dataset) {
  (void)input_normalization(dataset);  // names an unknown dataset
  return models::make_model(name, kDatasetInput);
}

namespace {

/// The safetensors file `weights`, refused when it is a training checkpoint.
io::SafetensorsFile read_weights(const std::string& weights) {
  io::SafetensorsFile f = io::load_safetensors(weights);
  auto format = f.metadata.find("format");
  if (format != f.metadata.end() && format->second == io::kCheckpointFormat) {
    const auto slash = weights.find_last_of('/');
    const std::string beside = slash == std::string::npos ? "model.safetensors" : weights.substr(0, slash + 1) + "model.safetensors";
    EMBER_FAIL(weights, " is a training checkpoint, not a weights file: use `ember train --resume` to continue the run, "
               "or the weights beside it (", beside, ")");
  }
  return f;
}

void load_weights_into(nn::Module& m, const io::SafetensorsFile& f, const std::string& name, const std::string& weights) {
  try {
    m.load_state_dict(f.tensors);
  } catch (const Error& e) {
    EMBER_FAIL("weights ", weights, " do not fit model '", name, "': ", e.what());
  }
  // NaN or infinite weights would evaluate to a meaningless accuracy and exit 0.
  NoGradGuard ng;
  for (const auto& [key, t] : m.state_dict())
    if (is_floating(t.dtype()) && t.numel() > 0 && !all(isfinite(t)).item<bool>())
      EMBER_FAIL("weights ", weights, " hold non-finite values (NaN or infinity) in '", key, "'");
}

}  // namespace

nn::ModulePtr load_model(const std::string& name, const std::string& weights, Device device, std::string* trained_on) {
  EMBER_CHECK(!models::is_text_model(name), "model '", name, "' is a language model: use 'ember generate' (or "
              "'ember eval --dataset text')");
  nn::ModulePtr m = models::make_model(name, kDatasetInput);
  io::SafetensorsFile f = read_weights(weights);
  if (trained_on) {
    auto d = f.metadata.find("dataset");
    *trained_on = d == f.metadata.end() ? "" : d->second;
  }
  load_weights_into(*m, f, name, weights);
  m->to(device);
  m->eval();
  return m;
}

nlohmann::json text_config_json(const models::TextModelConfig& t) {
  return {{"vocab_size", t.vocab_size}, {"context", t.context}, {"layers", t.layers}, {"heads", t.heads},
          {"width", t.width}, {"embedding", t.embedding}, {"dropout", t.dropout}};
}

models::TextModelConfig text_config_from_json(const std::string& json, const std::string& weights) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  EMBER_CHECK(!j.is_discarded() && j.is_object(), "weights ", weights, ": malformed 'text_model' metadata");
  models::TextModelConfig t;
  try {
    t.vocab_size = j.at("vocab_size").get<int64_t>();
    t.context = j.at("context").get<int64_t>();
    t.layers = j.at("layers").get<int64_t>();
    t.heads = j.at("heads").get<int64_t>();
    t.width = j.at("width").get<int64_t>();
    t.embedding = j.at("embedding").get<int64_t>();
    t.dropout = j.at("dropout").get<double>();
  } catch (const std::exception& e) {
    EMBER_FAIL("weights ", weights, ": malformed 'text_model' metadata: ", e.what());
  }
  return t;
}

models::TextModelPtr load_text_model(const std::string& name, const std::string& weights, Device device) {
  EMBER_CHECK(models::is_text_model(name), "model '", name, "' is not a language model (charlstm, gpt)");
  io::SafetensorsFile f = read_weights(weights);
  auto m_it = f.metadata.find("model");
  EMBER_CHECK(m_it == f.metadata.end() || m_it->second == name, "weights ", weights, " hold model '", m_it->second,
              "', not '", name, "'");
  auto t_it = f.metadata.find("text_model");
  models::TextModelConfig t = t_it == f.metadata.end() ? models::TextModelConfig{} : text_config_from_json(t_it->second, weights);
  if (name == "charlstm") t.heads = 0;
  models::TextModelPtr m = models::make_text_model(name, t);
  load_weights_into(*m, f, name, weights);
  m->to(device);
  m->eval();
  return m;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c, const nn::Module& model) {
  nn::NamedTensors named = model.named_parameters();
  std::vector<Tensor> params;
  std::vector<std::string> names;
  for (auto& [n, p] : named) {
    names.push_back(n);
    params.push_back(p);
  }
  double lr = c.effective_lr(), wd = c.effective_weight_decay();
  if (c.optimizer == "sgd")
    return std::make_unique<optim::SGD>(params, optim::SGDOptions(lr).with_momentum(c.momentum).with_weight_decay(wd).with_nesterov(c.momentum > 0), names);
  if (c.optimizer == "adam") return std::make_unique<optim::Adam>(params, optim::AdamOptions(lr).with_weight_decay(wd), names);
  if (c.optimizer == "adamw") return std::make_unique<optim::AdamW>(params, optim::AdamWOptions(lr).with_weight_decay(wd), names);
  EMBER_FAIL("unknown optimizer '", c.optimizer, "' (known: sgd, adam, adamw)");
}

std::unique_ptr<optim::LRScheduler> make_scheduler(const TrainConfig& c, optim::Optimizer& opt, int64_t steps_per_epoch) {
  int64_t total = c.epochs * steps_per_epoch;
  if (c.schedule == "none") return nullptr;
  if (c.schedule == "step")  // x0.1 after each third of training
    return std::make_unique<optim::StepLR>(opt, std::max<int64_t>(1, total / 3), 0.1);
  if (c.schedule == "cosine") return std::make_unique<optim::CosineAnnealingLR>(opt, std::max<int64_t>(1, total), 0.0);
  if (c.schedule == "onecycle") return std::make_unique<optim::OneCycleLR>(opt, c.effective_lr(), std::max<int64_t>(1, total));
  EMBER_FAIL("unknown schedule '", c.schedule, "' (known: none, step, cosine, onecycle)");
}

}  // namespace ember::cli
