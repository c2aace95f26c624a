// `switchboard`: one binary for every part of the system, one subcommand each.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/shutdown_signal.h"

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask and signals arrive only where
  // they are waited for.
  switchboard::common::BlockProcessSignals();
  CLI::App app{"Switchboard: REST and gRPC-Web outside, gRPC inside", "switchboard"};
  app.require_subcommand(1);
  switchboard::cli::CommandRunner runner;
  switchboard::cli::AddServeCommand(app, runner);
  switchboard::cli::AddUpCommand(app, runner);
  switchboard::cli::AddCallCommand(app, runner);
  switchboard::cli::AddGatewayCommand(app, runner);
  switchboard::cli::AddXdsCommand(app, runner);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version exit 0; any usage error exits 2, like a bad config (CLI11's own
    // codes, 106 for a missing subcommand and so on, mean nothing to a shell script).
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }
  return runner ? runner() : 2;
}
