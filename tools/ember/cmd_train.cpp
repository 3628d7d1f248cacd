// `ember train`: flags → TrainConfig → run_training; prints a summary (JSON with --json).
#include <cmath>
#include <cstdint>
#include <iostream>

#include "commands.h"
#include "flag_checks.h"
#include "training.h"

namespace ember::cli {

Command add_train_command(CLI::App& app) {
  auto c = std::make_shared<TrainConfig>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model from the zoo on a dataset, with checkpoints and curves");
  std::vector<std::string> models = models::model_names();
  cmd->add_option("--model", c->model, "Model from the zoo")->check(CLI::IsMember(models))->capture_default_str();
  cmd->add_option("--dataset", c->dataset,
                  "Dataset: mnist, fashion-mnist, or text (a byte-level text file for charlstm/gpt; their default)")
      ->check(CLI::IsMember(dataset_names()))->capture_default_str();
  cmd->add_option("--data-dir", c->data_dir, "Directory with the image dataset's files (see 'ember data fetch')");
  cmd->add_option("--data-file", c->data_file, "--dataset text: the text file (the last 10% is held out for validation)");
  cmd->add_option("--context", c->context, "--dataset text: tokens per training window (gpt: also its positions; 128)")
      ->check(whole_in(1, 1 << 20));
  cmd->add_option("--steps-per-epoch", c->steps_per_epoch, "--dataset text: random-window steps per epoch (600)")
      ->check(whole_in(1, int64_t{1} << 40));
  cmd->add_option("--layers", c->layers, "Language models: layers (gpt 4 blocks, charlstm 2 LSTM layers)")
      ->check(whole_in(1, 1024));
  cmd->add_option("--heads", c->heads, "gpt: attention heads (4; must divide --width)")->check(whole_in(1, 1024));
  cmd->add_option("--width", c->width, "Language models: gpt width (128), charlstm LSTM hidden size (256)")
      ->check(whole_in(1, 1 << 16));
  cmd->add_option("--dropout", c->dropout, "Language models: dropout (0)")->check(real_in(0, 0.999));
  cmd->add_option("--out", c->out,
                  "Run directory: model.safetensors, checkpoint, metrics.jsonl, curves.png (one that already holds a "
                  "run needs --resume or --force)")->required();
  cmd->add_option("--epochs", c->epochs, "Epochs")->check(whole_in(1, 100000))->capture_default_str();
  cmd->add_option("--batch-size", c->batch_size, "Batch size")->check(whole_in(1, int64_t{1} << 20))->capture_default_str();
  cmd->add_option("--lr", c->lr,
                  "Learning rate (peak for onecycle); default adam/adamw 6e-3 (1e-3 without onecycle), sgd 0.1 (0.05). "
                  "With --resume the checkpoint's is kept: another value is refused")
      ->check(real_in(0, HUGE_VAL, true));
  cmd->add_option("--optimizer", c->optimizer, "Optimizer")->check(CLI::IsMember({"sgd", "adam", "adamw"}))->capture_default_str();
  cmd->add_option("--schedule", c->schedule, "Learning-rate schedule")
      ->check(CLI::IsMember({"none", "step", "cosine", "onecycle"}))->capture_default_str();
  cmd->add_option("--weight-decay", c->weight_decay,
                  "Weight decay (default 1e-2 adamw, 5e-4 sgd, 0 adam); with --resume the checkpoint's is kept")
      ->check(real_in(0, HUGE_VAL));
  cmd->add_option("--shift", c->shift, "Random shift augmentation in pixels (0: off)")
      ->check(whole_in(0, 13))->capture_default_str();
  cmd->add_option("--crop-padding", c->crop_padding,
                  "Random-crop augmentation: pad by N zero pixels, crop back to 28x28 at a random offset (0: off)")
      ->check(whole_in(0, 13));
  cmd->add_flag("--flip,!--no-flip", c->flip, "Random horizontal flip augmentation (p = 0.5)");
  cmd->add_option("--label-smoothing", c->label_smoothing, "Label smoothing in [0,1)")
      ->check(real_in(0, 0.999))->capture_default_str();
  cmd->add_option("--device", c->device, "Device: cpu, opencl:N, cuda:N (see 'ember device')")
      ->check(device_syntax())->capture_default_str();
  cmd->add_option("--precision", c->precision,
                  "fp32; bf16 or fp16: matmul/linear/conv in that dtype (autocast), float32 weights, fp16 with loss "
                  "scaling; a precision the device cannot run is an error (see 'ember device')")
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}))->capture_default_str();
  cmd->add_option("--seed", c->seed, "Seed for initialisation, data order, augmentation and dropout")
      ->check(unsigned_whole())->capture_default_str();
  CLI::Option* resume = cmd->add_flag("--resume", c->resume,
                                      "Continue from OUT/checkpoint if it exists (same --epochs, --batch-size, "
                                      "--schedule, --optimizer, --train-limit; --lr and --weight-decay come from it)");
  cmd->add_flag("--force", c->force, "Train into an --out that holds a run, deleting that run's files first")
      ->excludes(resume);
  cmd->add_flag("--json", c->json, "Progress to stderr; last stdout line is a JSON summary");
  cmd->add_option("--train-limit", c->train_limit, "Use only the first N training samples (0: all)")
      ->check(whole_in(0, INT64_MAX));
  cmd->add_option("--checkpoint-every", c->checkpoint_every, "Steps between checkpoints (0: only at epoch ends)")
      ->check(whole_in(0, INT64_MAX))->capture_default_str();
  cmd->footer("Defaults are the model's recipe: mlp and lenet as shown; the ResNets train 30 epochs of 128 with sgd, "
              "onecycle lr 0.1, --crop-padding 2 --flip and --shift 0; charlstm and gpt train on --dataset text for "
              "10 epochs of 600 steps of 32 windows with adamw, onecycle lr 3e-3, weight decay 0.1, no label "
              "smoothing (docs/models.md). A flag given overrides it.");
  return {cmd, [c, cmd] {
            std::vector<std::string> given;
            for (const CLI::Option* o : cmd->get_options())
              if (o->count() > 0)
                for (const std::string& n : o->get_lnames()) given.push_back("--" + n);
            try {
              c->apply_model_recipe(given);
            } catch (const Error& e) {
              throw UsageError(e.what());
            }
            std::FILE* log = c->json ? stderr : stdout;
            TrainSummary s = run_training(*c, log);
            if (c->json) {
              std::cout << s.to_json(*c).dump() << std::endl;
            } else if (c->is_text()) {
              std::printf("validation loss %.4f nats/char (%.3f bits/char)  next-char accuracy %.2f%%  %lld epochs "
                          "in %.1fs (%.0f chars/s)\nwrote %s/model.safetensors, checkpoint, metrics.jsonl, curves.png\n",
                          s.test_loss, s.test_loss / std::log(2.0), 100 * s.test_accuracy,
                          static_cast<long long>(s.epochs), s.train_seconds, s.samples_per_s, c->out.c_str());
            } else {
              std::printf("test accuracy %.2f%%  test loss %.4f  %lld epochs in %.1fs (%.0f samples/s)\nwrote %s/model.safetensors, "
                          "checkpoint, metrics.jsonl, curves.png\n",
                          100 * s.test_accuracy, s.test_loss, static_cast<long long>(s.epochs), s.train_seconds,
                          s.samples_per_s, c->out.c_str());
              if (s.precision != "fp32")
                std::printf("precision %s (%lld steps skipped by loss scaling)\n", s.precision.c_str(),
                            static_cast<long long>(s.skipped_steps));
            }
            return 0;
          }};
}

}  // namespace ember::cli
