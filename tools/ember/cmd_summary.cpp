// `ember summary --model M [--input CxHxW] [--batch N] [--classes K] [--json]`: builds a zoo
// model for that input and prints nn::summarize's rows (one per layer call: name indented by
// depth, type, output shape, parameters, forward FLOPs) and totals (parameters, FLOPs, memory at
// that batch), as torchinfo and Keras print a model.
#include <array>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "ember/models/text.h"
#include "ember/models/zoo.h"
#include "flag_checks.h"
#include "units.h"

namespace ember::cli {
namespace {

constexpr int64_t kMaxChannels = 4096, kMaxSide = 4096, kMaxBatch = 4096;

struct SummaryArgs {
  std::string model;
  std::string input;  // "" for the model's default
  int64_t batch = 1;
  int64_t classes = 0;  // 0 for the model's default
  int64_t context = 0;  // language models: tokens per sequence (0: 128 / the gpt's context)
  bool json = false;
};

/// "CxHxW" as {C, H, W}; an error message instead when it is not three whole numbers >= 1 (and
/// within the limits) separated by 'x', or when H != W (zoo models take square images).
std::string parse_input(const std::string& s, std::array<int64_t, 3>& chw) {
  const std::string bad = "'" + s + "' is not CxHxW (channels x height x width, e.g. 1x28x28 or 3x224x224)";
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t end = s.find('x', pos);
    const std::string part = s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return bad;
    chw[i] = part.size() > 9 ? INT64_MAX : std::stoll(part);  // past every limit below
    if ((i < 2) != (end != std::string::npos)) return bad;  // exactly two 'x'
    pos = end + 1;
  }
  if (chw[0] < 1 || chw[1] < 1 || chw[2] < 1) return "'" + s + "': every size must be >= 1";
  if (chw[0] > kMaxChannels || chw[1] > kMaxSide || chw[2] > kMaxSide)
    return "'" + s + "': at most " + std::to_string(kMaxChannels) + " channels and " + std::to_string(kMaxSide) +
           " pixels a side";
  if (chw[1] != chw[2]) return "'" + s + "': height and width must be equal (zoo models are built for square images)";
  return "";
}

CLI::Validator image_input() {
  return CLI::Validator(
      [](std::string& s) {
        std::array<int64_t, 3> chw{};
        return parse_input(s, chw);
      },
      "CxHxW");
}

std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(bytes) / 1e6);
  return buf;
}

/// What the summarised model was built for, for the header and the JSON.
struct BuiltFor {
  std::string text;     // "1x28x28 images, 10 classes" / "128 byte tokens, vocabulary 256"
  nlohmann::json json;  // {"input": ..., "classes": ...} or {"context": ..., "vocab_size": ...}
};

BuiltFor built_for(const models::ModelConfig& c) {
  return {std::to_string(c.in_channels) + "x" + std::to_string(c.image_size) + "x" + std::to_string(c.image_size) +
              " images, " + std::to_string(c.num_classes) + " classes",
          {{"input", {c.in_channels, c.image_size, c.image_size}}, {"classes", c.num_classes}}};
}

nlohmann::json summary_json(const SummaryArgs& a, const BuiltFor& c, const nn::Summary& s) {
  nlohmann::json rows = nlohmann::json::array();
  for (const nn::SummaryRow& r : s.rows)
    rows.push_back({{"name", r.name},
                    {"type", r.type},
                    {"depth", r.depth},
                    {"innermost", r.innermost},
                    {"input_shape", std::vector<int64_t>(r.input_shape.begin(), r.input_shape.end())},
                    {"output_shape", std::vector<int64_t>(r.output_shape.begin(), r.output_shape.end())},
                    {"params", r.params},
                    {"trainable_params", r.trainable_params},
                    {"flops", r.flops},
                    {"flops_known", r.flops_known}});
  nlohmann::json by_dtype = nlohmann::json::object();
  for (auto& [dt, bytes] : s.param_bytes_by_dtype) by_dtype[dtype_name(dt)] = bytes;
  nlohmann::json totals = {{"params", s.params},
                           {"trainable_params", s.trainable_params},
                           {"non_trainable_params", s.non_trainable_params},
                           {"flops", s.flops},
                           {"unknown_flop_calls", s.unknown_flop_calls},
                           {"param_bytes", s.param_bytes},
                           {"param_bytes_by_dtype", by_dtype},
                           {"buffer_bytes", s.buffer_bytes},
                           {"activation_bytes", s.activation_bytes},
                           {"input_bytes", s.input_bytes},
                           {"total_bytes", s.total_bytes()}};
  nlohmann::json j = {{"model", a.model},
          {"batch", a.batch},
          {"input_shape", std::vector<int64_t>(s.input_shape.begin(), s.input_shape.end())},
          {"output_shape", std::vector<int64_t>(s.output_shape.begin(), s.output_shape.end())},
          {"rows", rows},
          {"totals", totals}};
  j.update(c.json);
  return j;
}

void print_table(const SummaryArgs& a, const BuiltFor& c, const nn::Summary& s) {
  std::vector<std::string> names;
  size_t name_w = 5, shape_w = 12;
  for (const nn::SummaryRow& r : s.rows) {
    names.push_back(std::string(2 * r.depth, ' ') + (r.name.empty() ? a.model : r.name));
    name_w = std::max(name_w, names.back().size());
    shape_w = std::max(shape_w, shape_text(r.output_shape).size());
  }
  size_t type_w = 4;
  for (const nn::SummaryRow& r : s.rows) type_w = std::max(type_w, r.type.size());
  const int nw = static_cast<int>(name_w), tw = static_cast<int>(type_w), sw = static_cast<int>(shape_w);
  const std::string rule(name_w + type_w + shape_w + 32, '=');
  std::printf("%s for %s, batch %lld\n", a.model.c_str(), c.text.c_str(), static_cast<long long>(a.batch));
  std::printf("%s\n%-*s  %-*s  %-*s  %13s  %11s\n%s\n", rule.c_str(), nw, "Layer", tw, "Type", sw, "Output shape",
              "Params", "FLOPs", rule.c_str());
  for (size_t i = 0; i < s.rows.size(); ++i) {
    const nn::SummaryRow& r = s.rows[i];
    // A container's params and FLOPs are the subtotals of the rows under it: in parentheses.
    std::string params = with_commas(r.params), flops = r.flops_known ? si(static_cast<double>(r.flops)) : "?";
    if (!r.innermost) params = "(" + params + ")", flops = "(" + flops + ")";
    std::printf("%-*s  %-*s  %-*s  %13s  %11s\n", nw, names[i].c_str(), tw, r.type.c_str(), sw,
                shape_text(r.output_shape).c_str(), params.c_str(), flops.c_str());
  }
  std::printf("%s\n", rule.c_str());
  std::printf("Total params:               %s\n", with_commas(s.params).c_str());
  std::printf("Trainable params:           %s\n", with_commas(s.trainable_params).c_str());
  std::printf("Non-trainable params:       %s\n", with_commas(s.non_trainable_params).c_str());
  std::printf("Forward GFLOPs:             %.3f (as GMACs, FLOPs / 2: %.3f)\n", static_cast<double>(s.flops) / 1e9,
              static_cast<double>(s.flops) / 2e9);
  std::printf("%s\n", rule.c_str());
  std::string dtypes;
  for (auto& [dt, bytes] : s.param_bytes_by_dtype) dtypes += std::string(dtypes.empty() ? "" : ", ") + dtype_name(dt);
  std::printf("Input size (MB):            %s\n", mb(s.input_bytes).c_str());
  std::printf("Params size (MB):           %s%s\n", mb(s.param_bytes).c_str(),
              dtypes.empty() ? "" : (" (" + dtypes + ")").c_str());
  std::printf("Buffers size (MB):          %s\n", mb(s.buffer_bytes).c_str());
  std::printf("Forward activations (MB):   %s\n", mb(s.activation_bytes).c_str());
  std::printf("Estimated total size (MB):  %s\n", mb(s.total_bytes()).c_str());
  std::printf("%s\n", rule.c_str());
  std::printf("FLOPs: 2 per multiply-accumulate (conv, linear), per element for BatchNorm, activations and\n"
              "pooling (see include/ember/nn/summary.h); only module calls are counted, not ops a forward\n"
              "applies itself (ResNet's residual adds). (Parenthesised): a container's subtotal.\n"
              "Forward activations: every layer's output at this batch (torchinfo's forward/backward pass\n"
              "size is twice this). MB = 10^6 bytes.\n");
  if (s.unknown_flop_calls > 0)
    std::printf("note: %lld layer calls of types the FLOP convention does not cover count as 0 (marked ?)\n",
                static_cast<long long>(s.unknown_flop_calls));
}

int run_summary(const SummaryArgs& a) {
  if (models::is_text_model(a.model)) {  // a language model: (batch, context) byte tokens
    if (!a.input.empty() || a.classes) {
      std::fprintf(stderr, "ember: error: --input and --classes describe images; %s reads bytes (use --context)\n"
                   "Run 'ember summary --help' for usage.\n", a.model.c_str());
      return 2;
    }
    models::TextModelPtr m;
    models::TextModelConfig t;
    try {
      t = models::resolve_text_config(a.model, {.context = a.model == "gpt" ? a.context : 0});
      m = models::make_text_model(a.model, t);
    } catch (const Error& e) {
      std::fprintf(stderr, "ember: error: %s\nRun 'ember summary --help' for usage.\n", e.what());
      return 2;
    }
    const int64_t T = a.context ? a.context : (t.context ? t.context : 128);
    nn::SummaryOptions so;
    so.dtype = kInt64;
    const nn::Summary s = nn::summarize(*m, {a.batch, T}, so);
    const BuiltFor c{std::to_string(T) + " byte tokens, vocabulary " + std::to_string(t.vocab_size),
                     {{"context", T}, {"vocab_size", t.vocab_size}}};
    if (a.json) std::cout << summary_json(a, c, s).dump() << "\n";
    else print_table(a, c, s);
    return 0;
  }
  if (a.context) {
    std::fprintf(stderr, "ember: error: --context applies to the language models (charlstm, gpt)\n");
    return 2;
  }
  models::ModelConfig want{.num_classes = a.classes};
  if (!a.input.empty()) {
    std::array<int64_t, 3> chw{};
    parse_input(a.input, chw);  // validated at parse time
    want.in_channels = chw[0];
    want.image_size = chw[1];
  }
  models::ModelConfig c;
  nn::ModulePtr m;
  try {
    c = models::resolve_config(a.model, want);
    m = models::make_model(a.model, c);
  } catch (const Error& e) {  // a model that cannot take this input: bad usage
    std::fprintf(stderr, "ember: error: %s\nRun 'ember summary --help' for usage.\n", e.what());
    return 2;
  }
  const nn::Summary s = nn::summarize(*m, {a.batch, c.in_channels, c.image_size, c.image_size});
  if (a.json) std::cout << summary_json(a, built_for(c), s).dump() << "\n";
  else print_table(a, built_for(c), s);
  return 0;
}

}  // namespace

Command add_summary_command(CLI::App& app) {
  auto a = std::make_shared<SummaryArgs>();
  CLI::App* cmd = app.add_subcommand(
      "summary", "Show a zoo model layer by layer: output shapes, parameters, forward FLOPs and memory at a batch");
  cmd->footer(
      "Runs one forward pass on zeros (eval mode, CPU) at the given batch, so large inputs and batches take time "
      "and memory.\nExamples: ember summary --model resnet18 (3x224x224, 1000 classes); ember summary --model "
      "resnet18 --input 1x28x28 --classes 10 (as ember train builds it)");
  cmd->add_option("--model", a->model, "Model from the zoo (see 'ember models')")
      ->required()
      ->check(CLI::IsMember(models::model_names()));
  cmd->add_option("--input", a->input,
                  "Image size CxHxW (H = W), e.g. 1x28x28 or 3x224x224; default: the model's own (see 'ember models')")
      ->check(image_input());
  cmd->add_option("--batch", a->batch, "Batch size of the forward pass (shapes and memory are for it)")
      ->check(whole_in(1, kMaxBatch))
      ->capture_default_str();
  cmd->add_option("--classes", a->classes, "Number of classes (logits); default: the model's own")
      ->check(whole_in(1, int64_t{1} << 20));
  cmd->add_option("--context", a->context, "Language models: tokens per sequence (default 128; the gpt is built with that many positions)")
      ->check(whole_in(1, 1 << 20));
  cmd->add_flag("--json", a->json, "Print one JSON object (exact counts, every row) instead of a table");
  return {cmd, [a] { return run_summary(*a); }};
}

}  // namespace ember::cli
