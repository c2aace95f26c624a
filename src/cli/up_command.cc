// `switchboard up`: the whole system as separate processes, one per service (the real
// topology), started in dependency order, each waited on until healthy.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/contracts.h"
#include "cli/local_tls.h"
#include "cli/process_group.h"
#include "cli/scale_servers.h"
#include "common/duration.h"
#include "common/health_probe.h"
#include "common/port_check.h"
#include "common/shutdown_signal.h"
#include "common/store/store_config.h"
#include "common/system_config.h"
#include "fmt/format.h"
#include "services/registry.h"

namespace switchboard::cli {
namespace {

constexpr std::chrono::milliseconds kStopGrace{5000};
const std::set<std::string> kLongLivedServices = {"stock", "chat", "notification", "upload"};

// A replica of a replicated service that dies is started again after this, doubling while it
// keeps dying soon after starting; one that ran for kStableRun starts over at the minimum.
constexpr std::chrono::milliseconds kRestartDelay{1000};
constexpr std::chrono::milliseconds kMaxRestartDelay{30000};
constexpr std::chrono::milliseconds kStableRun{60000};
constexpr std::chrono::milliseconds kSupervisorTick{200};
constexpr char kDefaultXdsPort[] = "18000";
// A health probe's own timeout; waiting for the gateway to listen lasts at least as long.
constexpr std::chrono::milliseconds kHealthProbe{250};
constexpr std::chrono::milliseconds kMinReadyWait = kHealthProbe;
constexpr std::chrono::milliseconds kListenPoll{50};
// The control plane is stopped after every other child, so replicas deregister from it.
constexpr char kXdsChild[] = "xds";
// PostgreSQL and nats-server get longer: a clean shutdown writes a checkpoint or a JetStream
// snapshot, and they stop only after every service that used them is gone.
constexpr std::chrono::milliseconds kServerStopGrace{15000};
// Connections beyond every replica's pool: PostgreSQL's reserved superuser slots and an
// operator's psql.
constexpr int kSpareStoreConnections = 10;

struct UpFlags {
  std::string config_path;
  std::string data_dir;
  bool data_dir_given = false;  // --data-dir '' is an error, not the default
  std::string only;
  std::string replicas;
  bool xds = false;
  std::string log_level;
  std::string ready_timeout = "20s";
  std::string web;
  bool web_given = false;  // --web '' serves no app
  bool tls = false;        // the gateway on HTTPS too, with a local CA (cli/local_tls.h)
  int tls_port = 8443;
  // --scale: PostgreSQL and nats-server as children (cli/scale_servers.h), unless --store or
  // --bus names an existing one.
  bool scale = false;
  std::string store_url;
  std::string bus_url;
  std::string scale_user = ScaleServerOptions::kDefaultRootUser;
  int postgres_port = 0;
  int nats_port = 0;
};

std::string SelfPath() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("switchboard") : path.string();
}

// True when nothing listens on host:port, so a health probe there can only reach our child.
bool PortIsFree(const std::string& host, int port) {
  return common::CheckPort(host, port).kind == common::PortUse::Kind::kFree;
}

// Empty when host:port can be listened on, waiting a bounded time while only a client
// connection's local end holds it; else why not, naming what holds it.
std::optional<std::string> PortProblem(const std::string& host, int port) {
  const common::PortUse use = common::AwaitPort(host, port);
  if (use.kind == common::PortUse::Kind::kFree) return std::nullopt;
  return common::DescribePortUse(use);
}

// Empty once something accepts TCP connections on host:port; else why not: the child that
// exited, or the wait that ran out. Like a health probe, it looks for at least kMinReadyWait,
// so a tiny --ready-timeout is not reported as a failure to start.
std::optional<std::string> WaitListening(ProcessGroup& group, const std::string& host, int port,
                                         std::chrono::milliseconds timeout,
                                         const std::string& timeout_text) {
  const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, kMinReadyWait);
  while (true) {
    if (auto exited = group.ReapExited()) {
      return absl::StrCat(exited->name, " ", DescribeWaitStatus(exited->wait_status),
                          " before it listened (its error is in the log above)");
    }
    if (!PortIsFree(host, port)) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kListenPoll);
  }
  return absl::StrCat("not listening within ", timeout_text,
                      " (--ready-timeout; it may still be starting: see its log above)");
}

// The browser app the gateway serves at its root: --web, else the built web/ of the source
// tree this binary was built in (BUILD/switchboard -> web/dist), else ./web/dist. Empty when
// there is none: the gateway then serves the API only.
std::string FindWebRoot(const UpFlags& flags) {
  if (flags.web_given) return flags.web;
  std::error_code ec;
  const auto exe_dir = std::filesystem::path(SelfPath()).parent_path();
  for (const auto& candidate :
       {exe_dir.parent_path() / "web" / "dist", std::filesystem::path("web") / "dist"}) {
    if (std::filesystem::is_regular_file(candidate / "index.html", ec)) {
      return std::filesystem::absolute(candidate, ec).lexically_normal().string();
    }
  }
  return "";
}

// The gateway's files for this system: every compiled-in contract as a descriptor set, and a
// config routing each running service's gRPC name to its process (and serving `web_root`, if
// any, at its root).
absl::StatusOr<std::string> WriteGatewayFiles(const common::SystemConfig& config,
                                              const std::set<std::string>& running,
                                              const std::string& web_root,
                                              const std::string& tls_yaml) {
  const auto dir = std::filesystem::path(config.data_dir);
  const std::string descriptors = (dir / "switchboard.pb").string();
  std::ofstream(descriptors, std::ios::binary) << DescriptorSetBytes();
  std::string yaml = fmt::format("listen: {}:{}\ndescriptors: [{}]\nservices:\n", config.host,
                                 config.gateway_port, descriptors);
  for (const auto* service : AllServices()) {
    const std::string name = ShortName(service);
    if (running.count(name) == 0) continue;
    yaml += fmt::format("  {}:\n    backends: [{}]\n", service->full_name(),
                        absl::StrJoin(config.ReplicaAddresses(name), ", "));
    // Streams (price feeds, chat, notifications, big uploads) outlive a unary call's deadline.
    if (kLongLivedServices.count(name) > 0) {
      yaml += "    timeout: {default: 1h, max: 24h}\n";
    }
    // A chat room lives in one chat process: callers naming it in x-chat-room always reach the
    // same replica.
    if (name == "chat") yaml += "    lb: ring_hash\n    hash_header: x-chat-room\n";
  }
  if (!config.cors_allow_origins.empty()) {
    YAML::Emitter origins;
    origins << YAML::Flow << config.cors_allow_origins;
    yaml += fmt::format("cors:\n  allow_origins: {}\n", origins.c_str());
  }
  if (!web_root.empty()) {
    YAML::Emitter root;
    root << YAML::DoubleQuoted << web_root;
    yaml += fmt::format("static:\n  root: {}\n", root.c_str());
  }
  yaml += tls_yaml;
  const std::string path = (dir / "gateway.yaml").string();
  std::ofstream out(path);
  out << yaml;
  if (!out) return absl::UnavailableError("cannot write " + path);
  return path;
}

// "ticket" for a single instance, "ticket-2" for the second of several (as in x-server-id).
std::string ReplicaName(const std::string& service, int replica, int replicas) {
  return replicas > 1 ? fmt::format("{}-{}", service, replica) : service;
}

// When each dead replica is due to start again, with a growing delay for one that keeps dying.
class ReplicaRestarts {
 public:
  std::chrono::milliseconds Died(const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    State& state = states_[name];
    if (now - state.started >= kStableRun) state.delay = std::chrono::milliseconds(0);
    state.delay =
        state.delay.count() == 0 ? kRestartDelay : std::min(kMaxRestartDelay, state.delay * 2);
    state.due = now + state.delay;
    state.pending = true;
    return state.delay;
  }
  std::vector<std::string> Due() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> due;
    for (auto& [name, state] : states_) {
      if (!state.pending || now < state.due) continue;
      state.pending = false;
      state.started = now;
      due.push_back(name);
    }
    return due;
  }

 private:
  struct State {
    std::chrono::milliseconds delay{0};
    std::chrono::steady_clock::time_point due;
    std::chrono::steady_clock::time_point started;  // of the last restart; epoch at first
    bool pending = false;
  };
  std::map<std::string, State> states_;
};

// Waits until `address` is healthy, giving up early if the child dies.
// Empty when `address` answers SERVING in time; else why not: the child that exited, or the
// wait that ran out.
std::optional<std::string> WaitHealthy(ProcessGroup& group, const std::string& address,
                                       std::chrono::milliseconds timeout,
                                       const std::string& timeout_text) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto exited = group.ReapExited()) {
      return absl::StrCat(exited->name, " ", DescribeWaitStatus(exited->wait_status),
                          " before it was healthy (its error is in the log above)");
    }
    if (common::WaitForServing(address, kHealthProbe)) return std::nullopt;
  }
  return absl::StrCat("not healthy at ", address, " within ", timeout_text,
                      " (--ready-timeout; see its log above)");
}

// Every connection the services' replicas may open to the shared store, with room to spare.
int StoreConnectionsNeeded(const common::SystemConfig& config) {
  int needed = kSpareStoreConnections;
  for (const std::string& name : common::ServicesWithStore()) {
    needed += config.services.at(name).replicas * config.store.pool_size;
  }
  return needed;
}

// Points every service with a store at `url`: a store the services took from the config file's
// `store` gives way to the flag; one a service names in its own block stays.
void UseStore(const std::string& url, common::SystemConfig& config) {
  for (const std::string& name : common::ServicesWithStore()) {
    YAML::Node& settings = config.services.at(name).settings;
    if (config.store.postgres() && settings["store"] && settings["store"].IsScalar() &&
        settings["store"].Scalar() == config.store.url) {
      settings.remove("store");
      settings.remove("store_pool_size");
    }
  }
  config.store.url = url;
  common::ShareStoreWithServices(config);
}

int RunUp(const UpFlags& flags) {
  auto config = flags.config_path.empty() ? common::DefaultSystemConfig()
                                          : common::LoadSystemConfig(flags.config_path);
  if (!config.ok()) {
    std::cerr << "switchboard up: " << config.status().message() << "\n";
    return 2;
  }
  if (flags.data_dir_given && flags.data_dir.empty()) {
    std::cerr << "switchboard up: --data-dir: must not be empty (leave it out for "
              << config->data_dir << ")\n";
    return 2;
  }
  if (!flags.data_dir.empty()) config->data_dir = flags.data_dir;
  if (!flags.log_level.empty()) config->log_level = flags.log_level;
  if (flags.xds && config->xds.empty()) config->xds = config->host + ":" + kDefaultXdsPort;
  if (auto replicas = common::ApplyReplicaCounts(flags.replicas, *config); !replicas.ok()) {
    std::cerr << "switchboard up: " << replicas.message() << "\n";
    return 2;
  }
  if (!ConfigureLogging(config->log_level)) {
    std::cerr << "switchboard up: unknown log level \"" << config->log_level << "\"\n";
    return 2;
  }
  auto ready_timeout = common::ParseDuration(flags.ready_timeout);
  if (!ready_timeout.ok()) {
    std::cerr << "switchboard up: --ready-timeout: " << ready_timeout.status().message() << "\n";
    return 2;
  }

  const std::vector<std::string> available = services::ServiceNames();
  std::set<std::string> wanted(available.begin(), available.end());
  bool start_gateway = true;
  if (!flags.only.empty()) {
    wanted.clear();
    start_gateway = false;
    for (const auto& name : absl::StrSplit(flags.only, ',', absl::SkipEmpty())) {
      std::string service(name);
      if (service == "gateway") {
        start_gateway = true;
        continue;
      }
      if (!services::FindService(service).ok()) {
        std::cerr << "switchboard up: --only: " << services::FindService(service).status().message()
                  << "\n";
        return 2;
      }
      wanted.insert(service);
    }
  }

  if (!flags.store_url.empty()) {
    if (auto bad = common::store::ValidatePostgresUrl(flags.store_url); !bad.ok()) {
      std::cerr << "switchboard up: --store: " << bad.message() << "\n";
      return 2;
    }
    UseStore(flags.store_url, *config);
  }
  if (!flags.bus_url.empty()) {
    if (auto bad = bus::ValidateNatsUrl(flags.bus_url); !bad.ok()) {
      std::cerr << "switchboard up: --bus: " << bad.message() << "\n";
      return 2;
    }
    config->bus.kind = bus::kNats;
    config->bus.url = flags.bus_url;
  }

  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  if (ec) {
    std::cerr << "switchboard up: cannot create data directory " << config->data_dir << ": "
              << ec.message() << "\n";
    return 1;
  }
  // Declared before the services' group, so that on every way out the services stop first
  // (the group's destructor) and the servers they use after them.
  ProcessGroup servers;
  std::vector<std::pair<std::string, std::string>> servers_started;
  if (flags.scale || config->scale) {
    ScaleServerOptions options;
    options.data_dir = config->data_dir;
    options.host = config->host;
    options.postgres_port = flags.postgres_port;
    options.nats_port = flags.nats_port;
    // A store or bus named by a flag or the config file is used as it is.
    options.start_postgres = !config->store.postgres();
    options.start_nats = !config->bus.shared();
    options.root_user = flags.scale_user;
    options.postgres_max_connections = StoreConnectionsNeeded(*config);
    auto started = StartScaleServers(options, servers);
    if (!started.ok()) {
      std::cerr << "switchboard up: --scale: " << started.status().message() << "\n";
      servers.StopAll(kServerStopGrace);
      return 1;
    }
    if (options.start_postgres) {
      UseStore(started->store_url, *config);
      servers_started.emplace_back(kPostgresChild, started->postgres_address);
    }
    if (options.start_nats) {
      config->bus.kind = bus::kNats;
      config->bus.url = started->bus_url;
      servers_started.emplace_back(kNatsChild, started->nats_address);
    }
  }
  // The children read the same effective configuration the parent resolved.
  const std::string config_file =
      (std::filesystem::path(config->data_dir) / kEffectiveConfigName).string();
  std::ofstream(config_file) << common::SystemConfigToYaml(*config) << "\n";

  ProcessGroup group;
  const std::string self = SelfPath();
  std::vector<std::pair<std::string, std::string>> started;
  std::set<std::string> replicated;  // children restarted when they die
  if (!config->xds.empty()) {
    // The control plane first: every service registers with it and resolves its peers there.
    const auto colon = config->xds.rfind(':');
    const std::string xds_host = config->xds.substr(0, colon);
    int xds_port = 0;
    if (!absl::SimpleAtoi(config->xds.substr(colon + 1), &xds_port)) {
      std::cerr << "switchboard up: xds: \"" << config->xds << "\" is not host:port\n";
      return 2;
    }
    if (auto problem = PortProblem(xds_host, xds_port)) {
      std::cerr << "switchboard up: cannot listen on " << config->xds
                << " for the xDS control plane: " << *problem << " (set xds in --config)\n";
      return 1;
    }
    std::optional<std::string> failed;
    // The control plane's CA key and root (docs/mesh.md) live in the system's data directory.
    if (!group.Start(kXdsChild,
                     {self, "xds", "--listen", config->xds, "--log-level", config->log_level,
                      "--data-dir", (std::filesystem::path(config->data_dir) / "xds").string()})) {
      failed = "cannot start it";
    } else {
      failed = WaitHealthy(group, config->xds, *ready_timeout, flags.ready_timeout);
    }
    if (failed) {
      std::cerr << "switchboard up: the xDS control plane did not start on " << config->xds << ": "
                << *failed << "\n";
      group.StopAll(kStopGrace, kXdsChild);
      return 1;
    }
    started.emplace_back(kXdsChild, config->xds);
  }
  for (const auto& [name, default_port] : common::KnownServices()) {
    if (wanted.count(name) == 0) continue;
    const common::ServiceEndpoint& endpoint = config->services.at(name);
    const std::vector<std::string> addresses = config->ReplicaAddresses(name);
    for (int replica = 1; replica <= endpoint.replicas; ++replica) {
      const std::string& address = addresses[replica - 1];
      const std::string child = ReplicaName(name, replica, endpoint.replicas);
      const int port = endpoint.port == 0 ? 0 : endpoint.port + replica - 1;
      if (auto problem = port == 0 ? std::nullopt : PortProblem(config->host, port)) {
        std::cerr << "switchboard up: cannot listen on " << address << " for " << child << ": "
                  << *problem << " (set services." << name << ".port in --config)\n";
        group.StopAll(kStopGrace, kXdsChild);
        return 1;
      }
      if (!group.Start(child, {self, "serve", name, "--config", config_file, "--replica",
                               std::to_string(replica)})) {
        std::cerr << "switchboard up: cannot start " << child << "\n";
        return 1;
      }
      if (auto failed = WaitHealthy(group, address, *ready_timeout, flags.ready_timeout)) {
        std::cerr << "switchboard up: " << child << " did not start: " << *failed << "\n";
        group.StopAll(kStopGrace, kXdsChild);
        return 1;
      }
      started.emplace_back(child, address);
      if (endpoint.replicas > 1) replicated.insert(child);
    }
  }

  if (start_gateway) {
    const std::string web_root = FindWebRoot(flags);
    if (web_root.empty() && !flags.web_given) {
      std::cerr << "switchboard up: no web app to serve (web/dist is missing: `make build` "
                   "builds it); the gateway serves the API only\n";
    }
    std::string tls_yaml;
    std::optional<LocalTlsFiles> tls_files;
    const std::string tls_address = fmt::format("{}:{}", config->host, flags.tls_port);
    if (flags.tls) {
      auto made = EnsureLocalTls(std::filesystem::path(config->data_dir) / "tls", config->host);
      if (!made.ok()) {
        std::cerr << "switchboard up: --tls: " << made.status().message() << "\n";
        group.StopAll(kStopGrace, kXdsChild);
        return 1;
      }
      tls_files = *made;
      if (auto problem = PortProblem(config->host, flags.tls_port)) {
        std::cerr << "switchboard up: cannot listen on " << tls_address
                  << " for the gateway's TLS: " << *problem << " (set --tls-port)\n";
        group.StopAll(kStopGrace, kXdsChild);
        return 1;
      }
      YAML::Emitter cert;
      cert << YAML::DoubleQuoted << tls_files->server_cert;
      YAML::Emitter key;
      key << YAML::DoubleQuoted << tls_files->server_key;
      tls_yaml = fmt::format("tls:\n  listen: {}\n  cert_file: {}\n  key_file: {}\n", tls_address,
                             cert.c_str(), key.c_str());
    }
    auto gateway_config = WriteGatewayFiles(*config, wanted, web_root, tls_yaml);
    if (!gateway_config.ok()) {
      std::cerr << "switchboard up: " << gateway_config.status().message() << "\n";
      group.StopAll(kStopGrace, kXdsChild);
      return 1;
    }
    const std::string address = fmt::format("{}:{}", config->host, config->gateway_port);
    if (auto problem = PortProblem(config->host, config->gateway_port)) {
      std::cerr << "switchboard up: cannot listen on " << address
                << " for the gateway: " << *problem << " (set gateway_port in --config)\n";
      group.StopAll(kStopGrace, kXdsChild);
      return 1;
    }
    std::optional<std::string> failed;
    if (!group.Start("gateway", {self, "gateway", "--config", *gateway_config, "--log-level",
                                 config->log_level})) {
      failed = "cannot start it";
    } else {
      failed = WaitListening(group, config->host, config->gateway_port, *ready_timeout,
                             flags.ready_timeout);
    }
    if (!failed && flags.tls) {
      failed =
          WaitListening(group, config->host, flags.tls_port, *ready_timeout, flags.ready_timeout);
    }
    if (failed) {
      std::cerr << "switchboard up: the gateway on " << address << ": " << *failed << "\n";
      group.StopAll(kStopGrace, kXdsChild);
      return 1;
    }
    started.emplace_back("gateway", address);
  }

  std::cout << fmt::format("\n{:<14} {:<22} {}\n", "SERVICE", "ADDRESS", "PID");
  for (size_t i = 0; i < servers_started.size(); ++i) {
    std::cout << fmt::format("{:<14} {:<22} {}\n", servers_started[i].first,
                             servers_started[i].second, servers.children()[i].pid);
  }
  for (size_t i = 0; i < started.size(); ++i) {
    std::cout << fmt::format("{:<14} {:<22} {}\n", started[i].first, started[i].second,
                             group.children()[i].pid);
  }
  std::cout << fmt::format("\nAll {} services healthy; data in {}. Ctrl-C stops everything.\n",
                           started.size(), config->data_dir);
  if (flags.tls && start_gateway) {
    const std::string ca = (std::filesystem::path(config->data_dir) / "tls" / "ca.pem").string();
    std::cout << fmt::format(
        "HTTPS (HTTP/2 and HTTP/1.1): https://{0}:{1}/ with a certificate from the local CA {2}\n"
        "  trust it per command:  curl --cacert {2} https://{0}:{1}/events\n"
        "  or in a browser: import {2} as a certificate authority\n",
        config->host, flags.tls_port, ca);
  }
  std::cout << std::flush;

  int exit_code = 0;
  ReplicaRestarts restarts;
  while (true) {
    const int sig = common::WaitForSignal(kSupervisorTick);
    if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("stopping all services signal={}", sig);
      break;
    }
    if (auto died = servers.ReapExited()) {
      spdlog::error("{} (pid {}) {}; stopping the services", died->name, died->pid,
                    DescribeWaitStatus(died->wait_status));
      exit_code = 1;
      break;
    }
    if (auto died = group.ReapExited()) {
      if (replicated.count(died->name) == 0) {
        spdlog::error("service {} (pid {}) {}; stopping the others", died->name, died->pid,
                      DescribeWaitStatus(died->wait_status));
        exit_code = 1;
        break;
      }
      const auto delay = restarts.Died(died->name);
      spdlog::warn("replica {} (pid {}) {}; starting it again in {} ms", died->name, died->pid,
                   DescribeWaitStatus(died->wait_status), delay.count());
    }
    for (const std::string& name : restarts.Due()) {
      if (!group.Restart(name)) {
        spdlog::error("replica {} could not be started again; stopping the others", name);
        exit_code = 1;
        break;
      }
      spdlog::info("replica {} started again", name);
    }
    if (exit_code != 0) break;
  }
  group.StopAll(kStopGrace, kXdsChild);
  servers.StopAll(kServerStopGrace);
  return exit_code;
}

}  // namespace

void AddUpCommand(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<UpFlags>();
  CLI::App* cmd = app.add_subcommand("up", "Start the whole system, one process per service");
  cmd->add_option("--config", flags->config_path, "System config YAML file")
      ->check(CLI::ExistingFile);
  CLI::Option* data_dir =
      cmd->add_option("--data-dir", flags->data_dir, "Directory for databases and files (./var)");
  cmd->add_option("--only", flags->only, "Comma-separated services to start (default: all)");
  cmd->add_option("--replicas", flags->replicas,
                  "Replicas per service on consecutive ports, e.g. ticket=3,stock=2 (a replica "
                  "that dies is started again)");
  cmd->add_flag("--xds", flags->xds,
                "Start the xDS control plane (on the config's `xds` address, else port 18000); "
                "services register there and reach each other through xds:///<service>");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn or error");
  cmd->add_option("--ready-timeout", flags->ready_timeout,
                  "How long each service may take to become healthy");
  cmd->add_flag("--tls", flags->tls,
                "Serve the gateway over HTTPS too, with a certificate from a local CA made in "
                "DATA_DIR/tls (trust DATA_DIR/tls/ca.pem once)");
  cmd->add_option("--tls-port", flags->tls_port, "The gateway's HTTPS port with --tls (8443)")
      ->check(CLI::Range(1, 65535));
  cmd->add_flag("--scale", flags->scale,
                "Start PostgreSQL and nats-server too (data in DATA_DIR/postgres and "
                "DATA_DIR/nats) and run the services on them, sharing rows and streams across "
                "replicas");
  cmd->add_option("--store", flags->store_url,
                  "An existing PostgreSQL for every service with a store, e.g. "
                  "postgres://user@host:5432/switchboard (with --scale: start no PostgreSQL)");
  cmd->add_option("--bus", flags->bus_url,
                  "An existing nats-server for the streaming services, e.g. "
                  "nats://host:4222 (with --scale: start no nats-server)");
  cmd->add_option("--scale-user", flags->scale_user,
                  "With --scale run as root: the account PostgreSQL runs as (nobody)");
  cmd->add_option("--postgres-port", flags->postgres_port,
                  "With --scale: PostgreSQL's port (0, the default: a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--nats-port", flags->nats_port,
                  "With --scale: nats-server's port (0, the default: a free one)")
      ->check(CLI::Range(0, 65535));
  CLI::Option* web = cmd->add_option(
      "--web", flags->web,
      "Directory the gateway serves at / (default: web/dist of the source tree; '' for none)");
  cmd->callback([flags, data_dir, web, &runner] {
    flags->data_dir_given = data_dir->count() > 0;
    flags->web_given = web->count() > 0;
    runner = [flags] { return RunUp(*flags); };
  });
}

}  // namespace switchboard::cli
