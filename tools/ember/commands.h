// The ember CLI's subcommands: each file adds one to the app and runs it.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace ember::cli {

/// A subcommand's runner, called after parsing; returns the process exit code.
using Runner = std::function<int()>;

/// Adds `ember device` to app; returns its runner.
Runner add_device_command(CLI::App& app);

}  // namespace ember::cli
