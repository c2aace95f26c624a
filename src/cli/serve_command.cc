// `switchboard serve <service>`: runs one service in this process until SIGINT or SIGTERM.
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "common/service_host.h"
#include "common/shutdown_signal.h"
#include "common/system_config.h"
#include "services/registry.h"

namespace switchboard::cli {
namespace {

struct ServeFlags {
  std::string service;
  std::string config_path;
  std::string data_dir;
  std::string host;
  int port = -1;
  std::string log_level;
};

int RunServe(const ServeFlags& flags) {
  auto config = flags.config_path.empty() ? common::DefaultSystemConfig()
                                          : common::LoadSystemConfig(flags.config_path);
  if (!config.ok()) {
    std::cerr << "switchboard serve: " << config.status().message() << "\n";
    return 2;
  }
  if (!flags.data_dir.empty()) config->data_dir = flags.data_dir;
  if (!flags.host.empty()) config->host = flags.host;
  if (!ConfigureLogging(flags.log_level.empty() ? config->log_level : flags.log_level)) {
    std::cerr << "switchboard serve: unknown log level\n";
    return 2;
  }
  auto factory = services::FindService(flags.service);
  if (!factory.ok()) {
    std::cerr << "switchboard serve: " << factory.status().message() << "\n";
    return 2;
  }
  const common::ServiceEndpoint& endpoint = config->services.at(flags.service);
  common::ServiceOptions options;
  options.name = flags.service;
  options.data_dir = config->data_dir;
  options.settings = endpoint.settings;
  options.peers = config->Peers();
  auto service = (*factory)(options);
  if (!service.ok()) {
    std::cerr << "switchboard serve " << flags.service << ": " << service.status().message()
              << "\n";
    return 2;
  }
  const int port = flags.port >= 0 ? flags.port : endpoint.port;
  const std::string address = config->host + ":" + std::to_string(port);
  auto host = common::ServiceHost::Start(address, {service->get()});
  if (!host.ok()) {
    std::cerr << "switchboard serve " << flags.service << ": " << host.status().message() << "\n";
    return 1;
  }
  spdlog::info("serving service={} address={} data_dir={}", flags.service, (*host)->address(),
               config->data_dir);
  int sig = 0;
  while (sig != SIGINT && sig != SIGTERM) sig = common::WaitForSignal(std::chrono::seconds(1));
  spdlog::info("stopping service={} signal={}", flags.service, sig);
  (*host)->Shutdown();
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "Run one service in this process");
  cmd->add_option("service", flags->service, "Service name (ticket, stock, upload, chat, ...)")
      ->required();
  cmd->add_option("--config", flags->config_path, "System config YAML file")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data-dir", flags->data_dir, "Directory for databases and files");
  cmd->add_option("--host", flags->host, "Address to listen on");
  cmd->add_option("--port", flags->port, "Port to listen on (0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn or error");
  cmd->callback([flags, &runner] { runner = [flags] { return RunServe(*flags); }; });
}

}  // namespace switchboard::cli
