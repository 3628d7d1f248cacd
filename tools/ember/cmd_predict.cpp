// `ember predict`: classifies pictures (files, or folders of them) with saved weights, each turned
// into its data set's 28x28 format: handwritten digits by data::mnist_digit_from_image (MNIST),
// product photos by data::fashion_mnist_image_from_image (Fashion-MNIST). Prints class names. A
// bad file is reported on stderr and the rest still predicted; the exit code is 1 when any failed.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "ember/data/image.h"
#include "ember/data/image_digit.h"
#include "ember/data/image_garment.h"
#include "flag_checks.h"
#include "recipe.h"

namespace ember::cli {
namespace {

namespace fs = std::filesystem;

struct PredictArgs {
  std::string model = "lenet", weights, dataset, device = "cpu", invert = "auto", save_input;
  std::vector<std::string> paths;
  int64_t top = 3;
  bool json = false;
};

constexpr const char* kImageExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".gif", ".tga"};

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(std::begin(kImageExtensions), std::end(kImageExtensions), ext) != std::end(kImageExtensions);
}

void report(const std::string& message) { std::fprintf(stderr, "ember: error: %s\n", message.c_str()); }

/// The files to classify: each argument that is a folder becomes its image files (by
/// extension, sorted by name, not recursive); any other argument is taken as a file. A folder
/// that cannot be listed or holds no images is reported and counted in `failed`.
std::vector<std::string> expand(const std::vector<std::string>& args, int& failed) {
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      files.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    for (fs::directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec))
      if (is_image_name(it->path()) && it->is_regular_file(ec)) found.push_back(it->path().string());
    if (ec) {
      report(arg + ": cannot list the folder: " + ec.message());
      ++failed;
      continue;
    }
    if (found.empty()) {
      report(arg + ": no image files in the folder (png, jpg, jpeg, bmp, pgm, ppm, gif, tga)");
      ++failed;
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

/// One picture in its data set's 28x28 format, and what preprocessing found.
struct Prepared {
  Tensor image;  // float32 (1,28,28) in [0,1]
  bool inverted = false, thickened = false;
  int64_t box[4] = {0, 0, 0, 0};  // x, y, w, h of the digit or object in the picture
};

/// Reads and preprocesses one picture for `dataset`; throws ember::Error naming the file.
Prepared prepare(const std::string& path, const std::string& dataset, const PredictArgs& a) {
  data::Image8 img = data::load_image(path);  // its errors name the file
  const data::InkPolarity polarity = a.invert == "yes" ? data::InkPolarity::kDarkOnLight
                                     : a.invert == "no" ? data::InkPolarity::kLightOnDark
                                                        : data::InkPolarity::kAuto;
  Prepared p;
  try {
    if (dataset == "fashion-mnist") {
      data::GarmentImage g = data::fashion_mnist_image_from_image(img, polarity);
      p = {g.image, g.inverted, false, {g.box_x, g.box_y, g.box_w, g.box_h}};
    } else {
      data::DigitOptions opt;
      opt.polarity = polarity;
      data::DigitImage d = data::mnist_digit_from_image(img, opt);
      p = {d.image, d.inverted, d.thickened, {d.box_x, d.box_y, d.box_w, d.box_h}};
    }
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return p;
}

void print(const std::string& path, const Prepared& d, const std::vector<double>& p, const std::vector<std::string>& names,
           int64_t top, bool json) {
  std::vector<int64_t> order(p.size());
  for (size_t i = 0; i < p.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return p[x] > p[y]; });
  const int64_t k = std::min<int64_t>(top, static_cast<int64_t>(p.size()));
  // A model with more outputs than the data set has classes: the extra ones by number.
  auto name = [&](int64_t c) { return c < static_cast<int64_t>(names.size()) ? names[c] : std::to_string(c); };
  if (json) {
    nlohmann::json best = nlohmann::json::array();
    for (int64_t i = 0; i < k; ++i)
      best.push_back({{"class", order[i]}, {"name", name(order[i])}, {"probability", p[order[i]]}});
    std::cout << nlohmann::json{{"image", path}, {"class", order[0]}, {"name", name(order[0])}, {"probabilities", p},
                                {"top", best}, {"inverted", d.inverted}, {"thickened", d.thickened},
                                {"box", {d.box[0], d.box[1], d.box[2], d.box[3]}}}.dump()
              << std::endl;
    return;
  }
  std::printf("%s: %s  (", path.c_str(), name(order[0]).c_str());
  for (int64_t i = 0; i < k; ++i) std::printf("%s%s: %.1f%%", i ? ", " : "", name(order[i]).c_str(), 100 * p[order[i]]);
  std::printf(")%s\n", d.inverted ? "  [inverted: dark on a light background]" : "");
  std::fflush(stdout);
}

int run_predict(const PredictArgs& a) {
  Device device = resolve_device(a.device);
  std::string trained_on;
  nn::ModulePtr model = load_model(a.model, a.weights, device, &trained_on);
  const std::string dataset = resolve_dataset(a.dataset, trained_on, a.weights);
  const std::vector<std::string> names = data::class_names(dataset);
  data::Normalize norm = input_normalization(dataset);
  NoGradGuard no_grad;
  Generator unused;
  int folders_failed = 0;
  const std::vector<std::string> files = expand(a.paths, folders_failed);
  int failed = folders_failed;
  for (const std::string& path : files) {
    Prepared d;
    try {
      d = prepare(path, dataset, a);
      if (!a.save_input.empty())
        data::save_png_gray((fs::path(a.save_input) / (fs::path(path).filename().string() + ".28x28.png")).string(),
                            d.image);
    } catch (const std::exception& e) {
      report(e.what());
      ++failed;
      continue;
    }
    data::Batch b{d.image.unsqueeze(0), Tensor()};
    norm(b, unused);
    Tensor probs = softmax((*model)(b.inputs.to(device)), 1).to(Device("cpu")).reshape({-1});
    print(path, d, probs.to_vector<double>(), names, a.top, a.json);
  }
  if (failed) {
    const size_t inputs = files.size() + static_cast<size_t>(folders_failed);
    std::fprintf(stderr, "ember: %d of %zu inputs failed\n", failed, inputs);
    return 1;
  }
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Classify pictures of digits or garments (files or folders; PNG, JPEG, BMP...; any size)");
  cmd->footer(
      "mnist: each picture is prepared as MNIST's own digits were: transparency is\n"
      "flattened onto the background; the background and any lighting gradient\n"
      "are fitted and removed; dark ink on light paper is inverted to white on\n"
      "black (--invert); specks are dropped; the ink is cropped to its bounding\n"
      "box; thin strokes are widened; the crop is scaled to fit 20x20 keeping its\n"
      "aspect ratio and centred by mass in 28x28.\n"
      "fashion-mnist: each picture (one garment, shoe or bag) is prepared as\n"
      "Zalando prepared the data set's product photos: grayscale (transparency is\n"
      "background); a light background (its level from the corners) is inverted\n"
      "to black, so a dark shirt on white becomes light on black (--invert); the\n"
      "background is removed, the object trimmed to its bounding box, scaled so\n"
      "its longer side is 28 and centred in 28x28. A 28x28 picture (what 'ember\n"
      "data export-image' writes) is taken as it is, only inverted if light.\n"
      "The dataset is the one the weights were trained on ('ember train' records\n"
      "it), else --dataset, else mnist; class names are printed. A folder means\n"
      "its image files (png jpg jpeg bmp pgm ppm gif tga) sorted by name. A file\n"
      "that cannot be read, holds nothing to classify or is over 50 megapixels is\n"
      "reported on stderr and the rest are still predicted; the exit code is 1.");
  std::vector<std::string> models = models::model_names();
  cmd->add_option("--model", a->model, "Model from the zoo")->check(CLI::IsMember(models))->capture_default_str();
  cmd->add_option("--weights", a->weights, "safetensors weights")->required();
  cmd->add_option("--dataset", a->dataset,
                  "mnist or fashion-mnist: how pictures are prepared and classes named (default: the weights' own, else mnist)")
      ->check(CLI::IsMember(dataset_names(true)));
  cmd->add_option("--top", a->top, "How many classes to show")->check(CLI::Range(int64_t{1}, int64_t{10}))->capture_default_str();
  cmd->add_option("--invert", a->invert,
                  "auto: from the image; yes: dark on light, invert; no")
      ->check(CLI::IsMember({"auto", "yes", "no"}))->capture_default_str();
  cmd->add_option("--save-input", a->save_input, "Write each 28x28 input to DIR/<name>.28x28.png")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--device", a->device, "Device: cpu, opencl:N or cuda:N")->check(device_syntax())->capture_default_str();
  cmd->add_flag("--json", a->json, "One JSON line per image");
  cmd->add_option("images", a->paths, "Image files or folders of them")->required();
  return {cmd, [a] { return run_predict(*a); }};
}

}  // namespace ember::cli
