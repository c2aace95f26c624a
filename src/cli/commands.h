// The `switchboard` subcommands; each file registers one on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace switchboard::cli {

// A subcommand's work, run after parsing; returns the process exit code.
using CommandRunner = std::function<int()>;

void AddServeCommand(CLI::App& app, CommandRunner& runner);
void AddUpCommand(CLI::App& app, CommandRunner& runner);
void AddCallCommand(CLI::App& app, CommandRunner& runner);
void AddGatewayCommand(CLI::App& app, CommandRunner& runner);
void AddXdsCommand(CLI::App& app, CommandRunner& runner);

// The configuration `up` ran with (its ports, replicas), written into its data directory for
// its children; `call` reads it from there to find the services.
inline constexpr char kEffectiveConfigName[] = "switchboard.yaml";

// Sets the global log level ("debug", "info", "warn", "error") and a one-line format.
bool ConfigureLogging(const std::string& level);

}  // namespace switchboard::cli
