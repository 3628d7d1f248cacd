// `ember generate`: continues a prompt with a trained language model (charlstm, gpt), streaming
// each sampled byte to stdout as it is drawn, and reporting tokens/s on stderr.
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "flag_checks.h"
#include "recipe.h"

namespace ember::cli {
namespace {

struct GenerateArgs {
  std::string model = "gpt", weights, prompt = "\n", device = "cpu";
  int64_t tokens = 500;
  double temperature = 0.8;
  int64_t top_k = 0;
  uint64_t seed = 0;
};

int run_generate(const GenerateArgs& a) {
  const Device device = resolve_device(a.device);
  models::TextModelPtr m = load_text_model(a.model, a.weights, device);
  models::SamplingOptions o;
  o.temperature = a.temperature;
  o.top_k = a.top_k;
  o.seed = a.seed;
  std::fputs(a.prompt.c_str(), stdout);
  std::fflush(stdout);
  const auto t0 = std::chrono::steady_clock::now();
  models::generate(*m, a.prompt, a.tokens, o, [](char ch) {
    std::fputc(ch, stdout);
    std::fflush(stdout);
  });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fputc('\n', stdout);
  std::fflush(stdout);
  std::fprintf(stderr, "ember: %lld tokens in %.2fs (%.0f tokens/s, %s on %s%s)\n", static_cast<long long>(a.tokens), s,
               s > 0 ? static_cast<double>(a.tokens) / s : 0.0, a.model.c_str(), device.str().c_str(),
               a.model == "gpt" ? ", key/value cache" : "");
  return 0;
}

}  // namespace

Command add_generate_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Continue a prompt with a trained language model (charlstm, gpt)");
  cmd->footer(
      "Prints the prompt, then each sampled byte as soon as it is drawn; the speed goes to stderr.\n"
      "The architecture comes from the weights' metadata (what 'ember train' records). The gpt decodes\n"
      "with a key/value cache; past its context it restarts the cache from the last half of it.");
  cmd->add_option("--model", a->model, "Language model: charlstm or gpt")
      ->check(CLI::IsMember({"charlstm", "gpt"}))->capture_default_str();
  cmd->add_option("--weights", a->weights, "safetensors weights written by 'ember train --dataset text'")->required();
  cmd->add_option("--prompt", a->prompt, "Text to continue (at least one byte; default a newline)")
      ->check([](const std::string& s) { return s.empty() ? std::string("the prompt must not be empty") : std::string(); });
  cmd->add_option("--tokens", a->tokens, "Bytes to generate")->check(whole_in(0, int64_t{1} << 30))->capture_default_str();
  cmd->add_option("--temperature", a->temperature, "Sampling temperature (> 0; lower is more conservative)")
      ->check(real_in(0, 100, true))->capture_default_str();
  cmd->add_option("--top-k", a->top_k, "Sample only among the K most likely bytes (0: all)")
      ->check(whole_in(0, 256))->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the sampling")->check(unsigned_whole())->capture_default_str();
  cmd->add_option("--device", a->device, "Device: cpu, opencl:N or cuda:N")->check(device_syntax())->capture_default_str();
  return {cmd, [a] { return run_generate(*a); }};
}

}  // namespace ember::cli
