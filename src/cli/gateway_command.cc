// `switchboard gateway --config FILE`: the edge gateway alone, in front of any gRPC services.
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "common/access_log.h"
#include "common/shutdown_signal.h"
#include "gateway/gateway_config.h"
#include "absl/strings/str_cat.h"
#include "gateway/gateway_server.h"
#include "gateway/proxy/router.h"

namespace switchboard::cli {
namespace {

// How long an access-log line may wait to share a write with others.
constexpr auto kAccessLogFlushInterval = std::chrono::milliseconds(200);

struct GatewayFlags {
  std::string config_path;
  bool check = false;
  bool print_defaults = false;
  std::string log_level = "info";
};

int RunGateway(const GatewayFlags& flags) {
  if (flags.print_defaults) {
    std::cout << gateway::GatewayDefaultsYaml();
    return 0;
  }
  if (flags.config_path.empty()) {
    std::cerr << "switchboard gateway: --config FILE is required\n";
    return 2;
  }
  if (!ConfigureLogging(flags.log_level)) {
    std::cerr << "switchboard gateway: unknown log level\n";
    return 2;
  }
  common::EnableBatchedAccessLog(kAccessLogFlushInterval);
  auto config = gateway::LoadGatewayConfig(flags.config_path);
  if (!config.ok()) {
    std::cerr << "switchboard gateway: " << config.status().message() << "\n";
    return 2;
  }
  if (flags.check) {
    auto router = gateway::Router::Create(*config);
    if (!router.ok()) {
      std::cerr << "switchboard gateway: " << flags.config_path << ": " << router.status().message()
                << "\n";
      return 2;
    }
    std::cout << flags.config_path << ": ok (" << config->services.size() << " services)\n";
    return 0;
  }
  auto server = gateway::GatewayServer::Start(*config);
  if (!server.ok()) {
    std::cerr << "switchboard gateway: " << server.status().message() << "\n";
    return server.status().code() == absl::StatusCode::kUnavailable ? 1 : 2;
  }
  const std::string plaintext =
      config->plaintext ? absl::StrCat(config->listen_host, ":", (*server)->port()) : "-";
  const std::string tls = config->tls.enabled()
                              ? absl::StrCat(config->tls.listen_host, ":", (*server)->tls_port())
                              : "-";
  spdlog::info("gateway listening address={} tls_address={} services={} workers={}", plaintext,
               tls, config->services.size(), (*server)->workers());
  int sig = 0;
  while (sig != SIGINT && sig != SIGTERM) {
    sig = common::WaitForSignal(std::chrono::seconds(1));
    if (sig != SIGHUP) continue;
    // Re-read the file; a bad one leaves the running configuration in place.
    auto next = gateway::LoadGatewayConfig(flags.config_path);
    absl::Status applied = next.ok() ? (*server)->Reload(*next) : next.status();
    if (!applied.ok()) {
      spdlog::error("gateway reload refused, keeping the running configuration: {}",
                    std::string(applied.message()));
    }
  }
  spdlog::info("gateway stopping signal={}", sig);
  (*server)->Stop();
  return 0;
}

}  // namespace

void AddGatewayCommand(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<GatewayFlags>();
  CLI::App* cmd = app.add_subcommand("gateway", "Run the edge gateway in front of gRPC services");
  cmd->add_option("--config", flags->config_path, "Gateway YAML file")->check(CLI::ExistingFile);
  cmd->add_flag("--check", flags->check, "Validate the file (and its descriptor sets) and exit");
  cmd->add_flag("--print-defaults", flags->print_defaults, "Print every setting's default");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn or error");
  cmd->callback([flags, &runner] { runner = [flags] { return RunGateway(*flags); }; });
}

}  // namespace switchboard::cli
