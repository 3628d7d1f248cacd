// ember: the command-line tool. Parses the subcommand and its flags (CLI11), runs it, and maps
// failures to exit codes: 2 for bad usage (unknown flag, bad value), 1 for runtime errors.
// `ember help [command...]` prints a command's help; an unknown flag gets a "did you mean".
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "ember/ember.h"
#include "flag_checks.h"

#ifndef EMBER_VERSION
#define EMBER_VERSION "0.0.0"
#endif

namespace {

using ember::cli::Command;
using ember::cli::suggest_flag;

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

/// The innermost subcommand the parse reached (the app itself when none).
const CLI::App* deepest_parsed(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands({}))
    if (sub->parsed()) return deepest_parsed(*sub);
  return &app;
}

/// For arguments CLI11 did not expect: the first unknown flag (in command-line order), named with
/// its command and the closest real flag ("unknown option '--epoch' for 'ember train' (did you
/// mean '--epochs'?)"); "" when no flag is among them.
std::string extras_message(const CLI::App& app, int argc, char** argv) {
  const std::vector<std::string> extras = app.remaining(true);
  const CLI::App* cmd = deepest_parsed(app);
  std::string path;
  for (const CLI::App* a = cmd; a != nullptr && a->get_parent() != nullptr; a = a->get_parent())
    path = " " + a->get_name() + path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-' || std::find(extras.begin(), extras.end(), a) == extras.end()) continue;
    const std::string flag = a.substr(0, a.find('='));
    const std::string hint = suggest_flag(*cmd, flag);
    return "unknown option '" + flag + "' for 'ember" + path + "'" +
           (hint.empty() ? " (see 'ember" + path + " --help')" : " (did you mean '" + hint + "'?)");
  }
  return "";
}

/// `ember help [command [subcommand]]`: the help of the app or of the named command.
Command add_help_command(CLI::App& app) {
  auto names = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("help", "Show the help of ember or of a command: ember help [command]");
  cmd->add_option("command", *names, "Command (and subcommand), e.g. train or data fetch");
  return {cmd, [&app, names] {
            const CLI::App* target = &app;
            std::string path = "ember";
            for (const std::string& n : *names) {
              const CLI::App* next = nullptr;
              std::string known;
              for (const CLI::App* sub : target->get_subcommands({})) {
                if (sub->get_name() == n) next = sub;
                if (sub->get_name() != "help") known += (known.empty() ? "" : ", ") + sub->get_name();
              }
              if (next == nullptr) {
                std::fprintf(stderr, "ember: error: unknown command '%s %s' (commands: %s)\n", path.c_str(), n.c_str(),
                             known.c_str());
                return 2;
              }
              target = next;
              path += " " + n;
            }
            // The formatter directly: App::help() would describe the parsed `help` command instead.
            std::cout << target->get_formatter()->make_help(target, path, CLI::AppFormatMode::Normal);
            return 0;
          }};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ember: train, evaluate and benchmark neural networks in C++ (CPU, OpenCL and CUDA devices)"};
  app.set_version_flag("--version", std::string("ember ") + EMBER_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'ember <command> --help' or 'ember help <command>' for a command's options.");

  using namespace ember::cli;
  std::vector<Command> commands = {add_train_command(app), add_eval_command(app), add_predict_command(app),
                                   add_generate_command(app), add_data_command(app), add_bench_command(app), add_models_command(app),
                                   add_summary_command(app), add_device_command(app), add_help_command(app)};

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
  } catch (const CLI::ExtrasError& e) {
    std::string msg = extras_message(app, argc, argv);
    std::fprintf(stderr, "ember: error: %s\nRun 'ember --help' for usage.\n", msg.empty() ? e.what() : msg.c_str());
    return 2;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ember: error: %s\nRun 'ember --help' for usage.\n", e.what());
    return 2;
  }

  // OpenMP sizes its pool from OMP_NUM_THREADS at the first parallel region (set_flush_denormal's):
  // a huge value would crash the runtime there, so it is refused first.
  if (const std::string err = ember::check_omp_num_threads_env(); !err.empty()) {
    std::fprintf(stderr, "ember: error: %s\n", err.c_str());
    return 2;
  }
  // Denormal floats only ever slow training down (Adam's moments of parameters with zero
  // gradient decay into that range after a few hundred steps, and each op on one then costs a
  // microcode assist): every command runs with flush-to-zero, as TensorFlow's runtime does.
  ember::set_flush_denormal(true);
  try {
    for (Command& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const ember::cli::UsageError& e) {
    std::fprintf(stderr, "ember: error: %s\nRun 'ember --help' for usage.\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember: error: %s\n", e.what());
    return 1;
  }
  return 2;
}
