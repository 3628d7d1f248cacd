// The ember CLI's subcommands: each file adds one to the app and returns how to run it.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace ember::cli {

struct Command {
  CLI::App* app;               // the parsed subcommand
  std::function<int()> run;    // called after parsing; returns the exit code
};

Command add_device_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_predict_command(CLI::App& app);
Command add_data_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_models_command(CLI::App& app);
Command add_summary_command(CLI::App& app);
Command add_generate_command(CLI::App& app);

}  // namespace ember::cli
