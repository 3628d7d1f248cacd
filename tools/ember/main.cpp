// ember: the command-line tool. Parses the subcommand and its flags (CLI11), runs it, and maps
// failures to exit codes: 2 for bad usage (unknown flag, bad value), 1 for runtime errors.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "ember/ember.h"

#ifndef EMBER_VERSION
#define EMBER_VERSION "0.0.0"
#endif

namespace {

/// The error for a first argument that is neither a command nor a top-level flag, or "" when it
/// is fine. CLI11 would only say "A subcommand is required" for `ember --bogus` or `ember bogus`.
std::string first_argument_error(const CLI::App& app, int argc, char** argv) {
  if (argc < 2) return "";
  const std::string a = argv[1];
  if (a == "-h" || a == "--help" || a == "--help-all" || a == "--version") return "";
  std::string names;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == a) return "";
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  if (!a.empty() && a[0] == '-') return "unknown option '" + a + "' (options go after the command: ember <command> " + a + ")";
  return "unknown command '" + a + "' (commands: " + names + ")";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ember: train, evaluate and benchmark neural networks in C++ (CPU, OpenCL and CUDA devices)"};
  app.set_version_flag("--version", std::string("ember ") + EMBER_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'ember <command> --help' for a command's options.");

  using namespace ember::cli;
  std::vector<Command> commands = {add_train_command(app), add_eval_command(app), add_predict_command(app),
                                   add_data_command(app), add_bench_command(app), add_device_command(app)};

  if (const std::string err = first_argument_error(app, argc, argv); !err.empty()) {
    std::fprintf(stderr, "ember: error: %s\nRun 'ember --help' for usage.\n", err.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ember: error: %s\nRun 'ember --help' for usage.\n", e.what());
    return 2;
  }

  // Denormal floats only ever slow training down (Adam's moments of parameters with zero
  // gradient decay into that range after a few hundred steps, and each op on one then costs a
  // microcode assist): every command runs with flush-to-zero, as TensorFlow's runtime does.
  ember::set_flush_denormal(true);
  try {
    for (Command& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember: error: %s\n", e.what());
    return 1;
  }
  return 2;
}
