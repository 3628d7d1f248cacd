// Training recipes for the CLI: the configuration a run is made from (with the defaults that
// reach >= 98.5% on the held-out MNIST digits) and the factories that turn it into a dataset,
// model, optimizer and schedule. Shared by train, eval and predict.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ember/ember.h"
#include "ember/models/text.h"
#include "ember/models/zoo.h"

namespace ember::cli {

struct TrainConfig {
  std::string model = "lenet";
  std::string dataset = "mnist";
  std::string data_dir;
  std::string out;
  int64_t epochs = 10;
  int64_t batch_size = 64;
  double lr = 0;  // 0: the optimizer's default below
  std::string optimizer = "adamw";
  std::string schedule = "onecycle";
  double weight_decay = -1;  // < 0: the optimizer's default below
  double momentum = 0.9;     // SGD only
  int64_t shift = 2;         // random translation in pixels (augmentation); 0 disables
  int64_t crop_padding = 0;  // random crop after zero padding by this many pixels; 0 disables
  bool flip = false;         // random horizontal flip (p = 0.5)
  double label_smoothing = 0.1;  // seeds 0-3 end at 98.75-99.05% (without it: 98.3-98.65%)
  std::string device = "cpu";
  std::string precision = "fp32";  // fp32, bf16 (autocast) or fp16 (autocast + loss scaling)
  uint64_t seed = 0;
  bool resume = false;
  bool force = false;  // train into an --out that already holds a run, replacing it
  bool json = false;
  int64_t train_limit = 0;        // use only the first N training samples (0: all)
  int64_t checkpoint_every = 50;  // steps between checkpoints (and at every epoch end)
  // Language models (--dataset text): the text file, the window length, the epoch length and
  // the architecture (0 / -1: the model's default; models::resolve_text_config).
  std::string data_file;
  int64_t context = 0;          // tokens per training window (gpt: also its positions)
  int64_t steps_per_epoch = 0;  // text epochs are this many random-window steps
  int64_t layers = 0, heads = 0, width = 0;
  double dropout = -1;
  bool is_text() const { return dataset == "text"; }
  /// The language model this config builds (context, layers, heads, width, dropout).
  models::TextModelConfig text_config() const;
  /// The window length text training uses: --context, else the gpt's positions, else 128.
  int64_t training_context() const;

  /// Replaces the fields whose flag was not given (`given` holds flag names such as "--epochs")
  /// with the recipe of this->model: mlp/lenet keep the defaults above; the ResNets train for
  /// 30 epochs of 128 with SGD (Nesterov momentum 0.9, onecycle to lr 0.1, weight decay 5e-4),
  /// random crops of the 2-pixel-padded image and horizontal flips instead of shifts; the
  /// language models train on --dataset text (see text_recipe in recipe.cpp). Throws
  /// ember::Error for flags that do not apply (image augmentation on text, a language model on
  /// images, --data-file without text).
  void apply_model_recipe(const std::vector<std::string>& given);
  /// The image augmentation and normalisation of a training batch, as this config asks.
  data::BatchTransform train_transform() const;

  double effective_lr() const;
  double effective_weight_decay() const;
  nlohmann::json to_json() const;
};

inline constexpr const char* kOptimizers[] = {"sgd", "adam", "adamw"};
inline constexpr const char* kSchedules[] = {"none", "step", "cosine", "onecycle"};
inline constexpr const char* kImageDatasets[] = {"mnist", "fashion-mnist"};  // the `data` commands' datasets
inline constexpr const char* kDatasets[] = {"mnist", "fashion-mnist", "text"};  // every --dataset of train/eval
inline constexpr const char* kPrecisions[] = {"fp32", "bf16", "fp16"};

/// kDatasets (or kImageDatasets) as a vector, for CLI::IsMember.
std::vector<std::string> dataset_names(bool images_only = false);
/// The dataset `name` (one of kDatasets) from dir, optionally only its first `limit` examples.
std::shared_ptr<const data::Dataset> make_dataset(const std::string& name, const std::string& dir, data::Split split,
                                                  int64_t limit = 0);
/// The per-channel normalisation every model input gets, from the training set's pixel mean and
/// std (MNIST: 0.1307, 0.3081; Fashion-MNIST: 0.2860, 0.3530).
data::Normalize input_normalization(const std::string& dataset);
/// The input every dataset the CLI knows holds: 1x28x28 grayscale images in 10 classes.
inline constexpr models::ModelConfig kDatasetInput{.num_classes = 10, .in_channels = 1, .image_size = 28};
/// The zoo model `name` built for the images of `dataset` (kDatasetInput).
nn::ModulePtr make_model_for(const std::string& name, const std::string& dataset);
/// The zoo model `name` built for the CLI's 1x28x28 images in 10 classes, with weights loaded
/// (strictly) from a safetensors file, on device, in eval mode.
/// A training checkpoint passed as weights is refused with a message pointing to --resume and
/// the model.safetensors beside it. trained_on, when given, receives the weights' "dataset"
/// metadata entry (what `ember train` records; "" when absent, as in PyTorch's files).
nn::ModulePtr load_model(const std::string& name, const std::string& weights, Device device,
                         std::string* trained_on = nullptr);
/// The dataset a command works with: `flag` (--dataset) when given, else the one the weights
/// were trained on, else "mnist". A flag that contradicts the weights' own dataset throws
/// ember::Error naming both (their classes would be misnamed).
std::string resolve_dataset(const std::string& flag, const std::string& trained_on, const std::string& weights);
/// A language model's architecture as the JSON `ember train` records in its weights' metadata
/// ("text_model": vocab_size, context, layers, heads, width, embedding, dropout), and back.
nlohmann::json text_config_json(const models::TextModelConfig& t);
/// Throws ember::Error naming `weights` for malformed JSON or missing fields.
models::TextModelConfig text_config_from_json(const std::string& json, const std::string& weights);
/// The language model `name` rebuilt from the "text_model" metadata of `weights` (written by
/// `ember train`; the defaults when absent), weights loaded strictly, on device, in eval mode.
/// Refuses weights whose "model" metadata names another model, and training checkpoints.
models::TextModelPtr load_text_model(const std::string& name, const std::string& weights, Device device);

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c, const nn::Module& model);
/// nullptr for "none". steps_per_epoch sizes the step-wise schedules.
std::unique_ptr<optim::LRScheduler> make_scheduler(const TrainConfig& c, optim::Optimizer& opt, int64_t steps_per_epoch);

}  // namespace ember::cli
