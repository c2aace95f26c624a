// `switchboard serve <service>`: runs one service in this process until SIGINT or SIGTERM.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "fmt/format.h"
#include "common/service_host.h"
#include "common/shutdown_signal.h"
#include "common/system_config.h"
#include "services/registry.h"
#include "xds/bootstrap.h"
#include "xds/load_counter.h"
#include "xds/registration.h"

namespace switchboard::cli {
namespace {

struct ServeFlags {
  std::string service;
  std::string config_path;
  std::string data_dir;
  bool data_dir_given = false;  // --data-dir '' is an error, not the default
  std::string host;
  int port = -1;
  int replica = 1;
  std::string xds;
  std::string log_level;
};

int RunServe(const ServeFlags& flags) {
  auto config = flags.config_path.empty() ? common::DefaultSystemConfig()
                                          : common::LoadSystemConfig(flags.config_path);
  if (!config.ok()) {
    std::cerr << "switchboard serve: " << config.status().message() << "\n";
    return 2;
  }
  if (flags.data_dir_given && flags.data_dir.empty()) {
    std::cerr << "switchboard serve: --data-dir: must not be empty (leave it out for "
              << config->data_dir << ")\n";
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
  if (!flags.xds.empty()) config->xds = flags.xds;
  const std::string server_id = fmt::format("{}-{}", flags.service, flags.replica);
  if (!config->xds.empty()) {
    // grpc's xDS client reads its bootstrap when the first xds:/// channel resolves.
    setenv("GRPC_XDS_BOOTSTRAP_CONFIG", xds::BootstrapJson(config->xds, server_id).c_str(), 1);
  }
  options.peers = config->Peers();
  options.channel_policy.lb_policy = config->client_lb;
  options.bus = config->bus;
  auto service = (*factory)(options);
  if (!service.ok()) {
    std::cerr << "switchboard serve " << flags.service << ": " << service.status().message()
              << "\n";
    return 2;
  }
  // Replica i of a service listens on the i-th port of its block.
  const int port = flags.port >= 0 ? flags.port
                   : endpoint.port == 0 ? 0
                                        : endpoint.port + flags.replica - 1;
  const std::string address = config->host + ":" + std::to_string(port);
  common::HostOptions host_options;
  host_options.server_id = server_id + "@{address}";
  xds::LoadCounter load;  // outlives the server, whose interceptors count into it
  if (!config->xds.empty()) {
    host_options.add_interceptors = [&load](auto& interceptors) {
      interceptors.push_back(xds::MakeLoadCountingInterceptorFactory(&load));
    };
  }
  auto host = common::ServiceHost::Start(address, {service->get()}, host_options);
  if (!host.ok()) {
    std::cerr << "switchboard serve " << flags.service << ": " << host.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<xds::Registration> registration;
  if (!config->xds.empty()) {
    auto registered = xds::Registration::Start(config->xds, flags.service, (*host)->address(),
                                               (*host)->server_id(), [&load] { return load.Read(); });
    if (!registered.ok()) {
      std::cerr << "switchboard serve " << flags.service << ": xds " << config->xds << ": "
                << registered.status().message() << "\n";
      (*host)->Shutdown();
      return 2;
    }
    registration = std::move(*registered);
  }
  spdlog::info("serving service={} address={} server_id={} data_dir={}{}", flags.service,
               (*host)->address(), (*host)->server_id(), config->data_dir,
               config->xds.empty() ? "" : " xds=" + config->xds);
  int sig = 0;
  while (sig != SIGINT && sig != SIGTERM) {
    sig = common::WaitForSignal(std::chrono::seconds(1));
    // An operator takes a replica out of rotation (USR1) and back (USR2) without stopping it.
    if (sig == SIGUSR1 || sig == SIGUSR2) {
      (*host)->SetServing(sig == SIGUSR2);
      spdlog::info("health service={} status={}", flags.service,
                   sig == SIGUSR2 ? "SERVING" : "NOT_SERVING");
    }
  }
  spdlog::info("stopping service={} signal={}", flags.service, sig);
  registration.reset();  // leave the endpoint set first, so clients move away before we stop
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
  CLI::Option* data_dir =
      cmd->add_option("--data-dir", flags->data_dir, "Directory for databases and files");
  cmd->add_option("--host", flags->host, "Address to listen on");
  cmd->add_option("--port", flags->port, "Port to listen on (0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--replica", flags->replica,
                  "Which replica this is (1..10): listens on the service's port + replica - 1 "
                  "and names itself <service>-<replica> in x-server-id")
      ->check(CLI::Range(1, common::kMaxReplicas));
  cmd->add_option("--xds", flags->xds,
                  "host:port of `switchboard xds`: register there (heartbeats, load) and reach "
                  "other services through it (xds:///<service>)");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn or error");
  cmd->callback([flags, data_dir, &runner] {
    flags->data_dir_given = data_dir->count() > 0;
    runner = [flags] { return RunServe(*flags); };
  });
}

}  // namespace switchboard::cli
