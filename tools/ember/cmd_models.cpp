// `ember models [--json]`: the model zoo (models::model_infos()) with each model's parameter
// count for its default input and for the input ember train builds it for (1x28x28 images,
// 10 classes), its default input and a description.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ember/models/text.h"
#include "ember/models/zoo.h"
#include "recipe.h"
#include "units.h"

namespace ember::cli {
namespace {

/// The input every dataset of the CLI has (recipe.h).
constexpr models::ModelConfig kTrainInput = kDatasetInput;

std::string input_str(const models::ModelConfig& c) {
  return std::to_string(c.in_channels) + "x" + std::to_string(c.image_size) + "x" + std::to_string(c.image_size);
}

nlohmann::json config_json(const models::ModelConfig& c) {
  return {{"channels", c.in_channels}, {"height", c.image_size}, {"width", c.image_size}, {"classes", c.num_classes}};
}

int run_models(bool json) {
  struct Row {
    const models::ModelInfo* info;
    int64_t params, train_params;
  };
  std::vector<Row> rows;
  for (const models::ModelInfo& info : models::model_infos()) {
    if (info.language_model) {  // built the same for 'ember train --dataset text'
      const int64_t n = models::make_text_model(info.name)->num_parameters();
      rows.push_back({&info, n, n});
      continue;
    }
    rows.push_back({&info, models::make_model(info.name, info.input)->num_parameters(),
                    models::make_model(info.name, kTrainInput)->num_parameters()});
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Row& r : rows) {
      if (r.info->language_model) {
        const models::TextModelConfig t = models::resolve_text_config(r.info->name);
        out.push_back({{"name", r.info->name},
                       {"description", r.info->description},
                       {"task", "language model"},
                       {"default_input", {{"tokens", "bytes"}, {"vocab_size", t.vocab_size}, {"context", t.context}}},
                       {"params", r.params},
                       {"train_params", r.train_params}});
        continue;
      }
      out.push_back({{"name", r.info->name},
                     {"description", r.info->description},
                     {"task", "image classifier"},
                     {"default_input", config_json(r.info->input)},
                     {"fixed_input", r.info->fixed_input},
                     {"params", r.params},
                     {"train_input", config_json(kTrainInput)},
                     {"train_params", r.train_params}});
    }
    std::cout << nlohmann::json{{"models", out}}.dump() << "\n";
    return 0;
  }
  const std::string train = input_str(kTrainInput) + "/" + std::to_string(kTrainInput.num_classes);
  std::printf("%-10s %-10s %-15s %-13s %s\n", "NAME", "PARAMS", "INPUT", ("AT " + train).c_str(), "DESCRIPTION");
  for (const Row& r : rows) {
    const std::string input = r.info->language_model ? std::string("bytes/256")
                                                     : input_str(r.info->input) + "/" + std::to_string(r.info->input.num_classes);
    const std::string at_train = r.train_params == r.params ? "same" : si(static_cast<double>(r.train_params));
    std::printf("%-10s %-10s %-15s %-13s %s\n", r.info->name.c_str(), si(static_cast<double>(r.params)).c_str(),
                input.c_str(), at_train.c_str(), r.info->description.c_str());
  }
  std::printf("\nPARAMS: built for INPUT, the model's default (channels x height x width / classes).\n"
              "AT %s: built as 'ember train' builds it for its datasets (%s images, %lld classes).\n"
              "bytes/256: a language model over bytes ('ember train --dataset text', 'ember generate').\n"
              "'ember summary --model NAME [--input CxHxW]' shows an image model layer by layer.\n",
              train.c_str(), input_str(kTrainInput).c_str(), static_cast<long long>(kTrainInput.num_classes));
  return 0;
}

}  // namespace

Command add_models_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("models", "List the model zoo: parameters, default input and description");
  auto json = std::make_shared<bool>(false);
  cmd->footer("Builds every model twice to count its parameters (a few seconds on 2 cores).");
  cmd->add_flag("--json", *json, "Print one JSON object instead of a table (exact parameter counts)");
  return {cmd, [json] { return run_models(*json); }};
}

}  // namespace ember::cli
