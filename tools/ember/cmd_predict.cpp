// `ember predict`: classifies image files (any size; converted to 28x28 grayscale) with saved weights.
#include <iostream>

#include "commands.h"
#include "recipe.h"

namespace ember::cli {
namespace {

struct PredictArgs {
  std::string model = "lenet", weights, device = "cpu", invert = "auto";
  std::vector<std::string> images;
  int64_t top = 3;
  bool json = false;
};

/// MNIST digits are light on dark. Auto mode inverts images whose border is mostly light
/// (a dark digit on white paper).
bool should_invert(const Tensor& img, const std::string& mode) {
  if (mode != "auto") return mode == "yes";
  Tensor border = cat({img.select(1, 0), img.select(1, img.size(1) - 1), img.select(2, 0), img.select(2, img.size(2) - 1)}, 1);
  return mean(border).item() > 0.5;
}

int run_predict(const PredictArgs& a) {
  Device device(a.device);
  nn::ModulePtr model = load_model(a.model, a.weights, device);
  data::Normalize norm = input_normalization("mnist");
  NoGradGuard no_grad;
  Generator unused;
  for (const std::string& path : a.images) {
    Tensor img = data::load_image_gray(path, 28);  // (1,28,28) in [0,1]
    bool inverted = should_invert(img, a.invert);
    if (inverted) img = 1.0 - img;
    data::Batch b{img.unsqueeze(0), Tensor()};
    norm(b, unused);
    Tensor probs = softmax((*model)(b.inputs.to(device)), 1).to(Device("cpu")).reshape({-1});
    std::vector<double> p = probs.to_vector<double>();
    std::vector<int64_t> order(p.size());
    for (size_t i = 0; i < p.size(); ++i) order[i] = static_cast<int64_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return p[x] > p[y]; });
    int64_t k = std::min<int64_t>(a.top, static_cast<int64_t>(p.size()));
    if (a.json) {
      nlohmann::json top = nlohmann::json::array();
      for (int64_t i = 0; i < k; ++i) top.push_back({{"class", order[i]}, {"probability", p[order[i]]}});
      std::cout << nlohmann::json{{"image", path}, {"class", order[0]}, {"probabilities", p}, {"top", top},
                                  {"inverted", inverted}}.dump()
                << std::endl;
    } else {
      std::printf("%s: %lld", path.c_str(), static_cast<long long>(order[0]));
      std::printf("  (");
      for (int64_t i = 0; i < k; ++i)
        std::printf("%s%lld: %.1f%%", i ? ", " : "", static_cast<long long>(order[i]), 100 * p[order[i]]);
      std::printf(")%s\n", inverted ? "  [inverted: dark digit on light background]" : "");
    }
  }
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Classify digit images (PNG, JPEG, BMP...; any size) with saved weights");
  std::vector<std::string> models(std::begin(kModels), std::end(kModels));
  cmd->add_option("--model", a->model, "Model from the zoo")->check(CLI::IsMember(models))->capture_default_str();
  cmd->add_option("--weights", a->weights, "safetensors weights")->required();
  cmd->add_option("--top", a->top, "How many classes to show")->check(CLI::Range(int64_t{1}, int64_t{10}))->capture_default_str();
  cmd->add_option("--invert", a->invert, "Invert to light-on-dark: auto (by the border), yes, no")
      ->check(CLI::IsMember({"auto", "yes", "no"}))->capture_default_str();
  cmd->add_option("--device", a->device, "Device")->capture_default_str();
  cmd->add_flag("--json", a->json, "One JSON line per image");
  cmd->add_option("images", a->images, "Image files")->required();
  return {cmd, [a] { return run_predict(*a); }};
}

}  // namespace ember::cli
