// Model zoo registry: name -> builder.
#include "ember/models/zoo.h"

#include <functional>
#include <utility>

namespace ember::models {

namespace {

using Builder = std::function<std::shared_ptr<nn::Module>()>;

const std::vector<std::pair<std::string, Builder>>& registry() {
  static const std::vector<std::pair<std::string, Builder>> r = {
      {"mlp", [] { return std::static_pointer_cast<nn::Module>(make_mlp()); }},
      {"lenet", [] { return std::static_pointer_cast<nn::Module>(make_lenet()); }},
  };
  return r;
}

}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> out;
  for (const auto& [n, b] : registry()) out.push_back(n);
  return out;
}

std::shared_ptr<nn::Module> make_model(const std::string& name) {
  for (const auto& [n, b] : registry())
    if (n == name) return b();
  std::string known;
  for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
  EMBER_FAIL("make_model: unknown model '", name, "'; known models: ", known);
}

}  // namespace ember::models
