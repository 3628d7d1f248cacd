// Checkpoints on top of safetensors: section prefixes ("model/", "optimizer/", "scheduler/"),
// a format marker in the metadata, and generator state as a string.
#include "ember/io/checkpoint.h"

#include <cstring>
#include <sstream>

#include "ember/io/safetensors.h"

namespace ember::io {

namespace {

struct Section {
  const char* prefix;
  std::map<std::string, Tensor> Checkpoint::*member;
};
constexpr Section kSections[] = {
    {"model/", &Checkpoint::model}, {"optimizer/", &Checkpoint::optimizer}, {"scheduler/", &Checkpoint::scheduler}};

constexpr const char* kGeneratorTag = "ember-generator-v1";

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  std::map<std::string, Tensor> all;
  for (const Section& s : kSections)
    for (const auto& [name, t] : ckpt.*s.member) all.emplace(s.prefix + name, t);
  std::map<std::string, std::string> meta = ckpt.meta;
  for (const char* reserved : {"format", "version"})
    EMBER_CHECK(!meta.count(reserved), "save_checkpoint: ", path, ": meta key '", reserved,
                "' is reserved for the checkpoint marker");
  meta.emplace("format", kCheckpointFormat);  // (emplace: GCC 12 warns falsely on operator=)
  meta.emplace("version", kCheckpointVersion);
  save_safetensors(path, all, meta);
}

Checkpoint load_checkpoint(const std::string& path) {
  SafetensorsFile file = load_safetensors(path);
  auto fmt = file.metadata.find("format");
  EMBER_CHECK(fmt != file.metadata.end() && fmt->second == kCheckpointFormat, "load_checkpoint: ", path,
              " is not an ember checkpoint (metadata \"format\" is ",
              fmt == file.metadata.end() ? std::string("missing") : "'" + fmt->second + "'",
              "; a plain weights file loads with load_safetensors)");
  auto ver = file.metadata.find("version");
  EMBER_CHECK(ver != file.metadata.end() && ver->second == kCheckpointVersion, "load_checkpoint: ", path,
              ": unsupported checkpoint version ",
              ver == file.metadata.end() ? std::string("(missing)") : "'" + ver->second + "'", " (this build reads ",
              kCheckpointVersion, ")");
  Checkpoint ckpt;
  for (auto& [key, t] : file.tensors) {
    bool placed = false;
    for (const Section& s : kSections) {
      size_t n = std::strlen(s.prefix);
      if (key.compare(0, n, s.prefix) == 0) {
        (ckpt.*s.member).emplace(key.substr(n), std::move(t));
        placed = true;
        break;
      }
    }
    EMBER_CHECK(placed, "load_checkpoint: ", path, ": tensor '", key,
                "' is outside the model/, optimizer/ and scheduler/ sections");
  }
  file.metadata.erase("format");
  file.metadata.erase("version");
  ckpt.meta = std::move(file.metadata);
  return ckpt;
}

std::string generator_state(const Generator& g) {
  std::ostringstream os;
  uint64_t spare_bits;
  double spare = g.spare();
  std::memcpy(&spare_bits, &spare, 8);
  os << kGeneratorTag << ' ' << g.seed() << ' ' << (g.has_spare() ? 1 : 0) << ' ' << spare_bits << ' ' << g.engine();
  return os.str();
}

void set_generator_state(Generator& g, const std::string& state) {
  std::istringstream is(state);
  std::string tag;
  uint64_t seed = 0, spare_bits = 0;
  int has_spare = -1;
  std::mt19937_64 engine;
  is >> tag >> seed >> has_spare >> spare_bits >> engine;
  std::string rest;
  bool ok = !is.fail() && tag == kGeneratorTag && (has_spare == 0 || has_spare == 1) && !(is >> rest);
  EMBER_CHECK(ok, "set_generator_state: malformed generator state (expected '", kGeneratorTag,
              " <seed> <has_spare> <spare bits> <mt19937_64 state>'): '", state.substr(0, 60),
              state.size() > 60 ? "...'" : "'");
  double spare;
  std::memcpy(&spare, &spare_bits, 8);
  g.seed_(seed);
  g.engine() = engine;
  g.set_spare(has_spare == 1, spare);
}

}  // namespace ember::io
