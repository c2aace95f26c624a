// `switchboard xds`: the xDS control plane (ADS + replica registry + the mesh's certificate
// authority), and its operator subcommands `list`, `set-weight` and `bootstrap`.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iomanip>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "common/duration.h"
#include "common/service_host.h"
#include "common/shutdown_signal.h"
#include "common/status.h"
#include "xds/bootstrap.h"
#include "xds/ca/ca_service.h"
#include "xds/control_plane.h"

namespace switchboard::cli {
namespace {

constexpr char kDefaultXdsAddress[] = "127.0.0.1:18000";
constexpr char kDefaultXdsDataDir[] = "./var/xds";
constexpr std::chrono::seconds kOperatorRpcTimeout{5};

struct XdsFlags {
  std::string listen = kDefaultXdsAddress;
  std::string heartbeat_ttl = "3s";
  std::string log_level = "info";
  std::string server = kDefaultXdsAddress;  // for the operator subcommands
  std::string service;
  std::string server_id;
  uint32_t weight = 0;
  std::string node_id = "switchboard-client";
  // The certificate authority's: its key, root and join token live in data_dir.
  std::string data_dir = kDefaultXdsDataDir;
  std::string trust_domain = xds::ca::CaOptions::kDefaultTrustDomain;
  std::string cert_lifetime = "24h";
  std::string join_token_file;  // empty: data_dir/join-token, made at first start
};

// The CA's options from the flags; InvalidArgument naming the flag.
absl::StatusOr<xds::ca::CaServiceOptions> CaOptionsFromFlags(const XdsFlags& flags) {
  xds::ca::CaServiceOptions options;
  if (flags.data_dir.empty()) return absl::InvalidArgumentError("--data-dir: must not be empty");
  options.data_dir = flags.data_dir;
  if (auto s = xds::ca::ValidateTrustDomain(flags.trust_domain); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--trust-domain: ", s.message()));
  }
  options.trust_domain = flags.trust_domain;
  auto lifetime = common::ParseDuration(flags.cert_lifetime);
  if (!lifetime.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cert-lifetime: ", lifetime.status().message()));
  }
  using xds::ca::CaOptions;
  if (*lifetime < CaOptions::kMinLifetime || *lifetime > CaOptions::kMaxLifetime ||
      *lifetime % std::chrono::seconds(1) != std::chrono::milliseconds::zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cert-lifetime \"", flags.cert_lifetime, "\": whole seconds from ",
                     common::FormatDuration(CaOptions::kMinLifetime), " to ",
                     common::FormatDuration(CaOptions::kMaxLifetime)));
  }
  options.lifetime = std::chrono::duration_cast<std::chrono::seconds>(*lifetime);
  if (!flags.join_token_file.empty()) options.join_token_file = flags.join_token_file;
  return options;
}

int RunXdsServer(const XdsFlags& flags) {
  if (!ConfigureLogging(flags.log_level)) {
    std::cerr << "switchboard xds: unknown log level \"" << flags.log_level << "\"\n";
    return 2;
  }
  auto ttl = common::ParseDuration(flags.heartbeat_ttl);
  if (!ttl.ok()) {
    std::cerr << "switchboard xds: --heartbeat-ttl: " << ttl.status().message() << "\n";
    return 2;
  }
  xds::ControlPlaneOptions options;
  options.heartbeat_ttl = *ttl;
  auto plane = xds::ControlPlane::Create(options);
  if (!plane.ok()) {
    std::cerr << "switchboard xds: " << plane.status().message() << "\n";
    return 2;
  }
  auto ca_options = CaOptionsFromFlags(flags);
  if (!ca_options.ok()) {
    std::cerr << "switchboard xds: " << ca_options.status().message() << "\n";
    return 2;
  }
  auto ca = xds::ca::CaService::Create(*ca_options);
  if (!ca.ok()) {
    std::cerr << "switchboard xds: certificate authority: " << ca.status().message() << "\n";
    return ca.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  auto host = common::ServiceHost::Start(flags.listen, {plane->get(), ca->get()});
  if (!host.ok()) {
    std::cerr << "switchboard xds: " << host.status().message() << "\n";
    return host.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  spdlog::info("xds control plane listening address={} heartbeat_ttl={}", (*host)->address(),
               common::FormatDuration(*ttl));
  spdlog::info("mesh certificate authority trust_domain={} cert_lifetime={} root={} join_token={}",
               ca_options->trust_domain, flags.cert_lifetime,
               xds::ca::CertificateAuthority::RootPath(ca_options->data_dir / "ca").string(),
               (*ca)->join_token_path().string());
  int sig = 0;
  while (sig != SIGINT && sig != SIGTERM) sig = common::WaitForSignal(std::chrono::seconds(1));
  spdlog::info("xds control plane stopping signal={}", sig);
  (*host)->Shutdown();
  return 0;
}

std::unique_ptr<xds::v1::ReplicaRegistryService::Stub> RegistryStub(const std::string& server) {
  return xds::v1::ReplicaRegistryService::NewStub(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
}

void Deadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + kOperatorRpcTimeout);
}

int Failed(const char* what, const XdsFlags& flags, const grpc::Status& status) {
  std::cerr << "switchboard xds " << what << ": " << common::StatusCodeName(status.error_code())
            << " from " << flags.server << ": " << status.error_message() << "\n";
  return 1;
}

int RunList(const XdsFlags& flags) {
  grpc::ClientContext context;
  Deadline(&context);
  xds::v1::ListReplicasRequest request;
  request.set_service(flags.service);
  xds::v1::ListReplicasResponse response;
  const grpc::Status status =
      RegistryStub(flags.server)->ListReplicas(&context, request, &response);
  if (!status.ok()) return Failed("list", flags, status);
  std::cout << std::left << std::setw(14) << "SERVICE" << std::setw(34) << "SERVER_ID"
            << std::setw(24) << "ADDRESS" << std::setw(8) << "WEIGHT" << std::setw(11)
            << "IN_FLIGHT" << std::setw(8) << "SERVED"
            << "SEEN_MS_AGO\n";
  for (const auto& replica : response.replicas()) {
    std::cout << std::left << std::setw(14) << replica.service() << std::setw(34)
              << replica.server_id() << std::setw(24) << replica.address() << std::setw(8)
              << replica.weight() << std::setw(11) << replica.last_load().in_flight_calls()
              << std::setw(8) << replica.last_load().calls_served() << replica.last_seen_ms_ago()
              << "\n";
  }
  return 0;
}

int RunSetWeight(const XdsFlags& flags) {
  grpc::ClientContext context;
  Deadline(&context);
  xds::v1::SetWeightRequest request;
  request.set_server_id(flags.server_id);
  request.set_weight(flags.weight);
  xds::v1::SetWeightResponse response;
  const grpc::Status status = RegistryStub(flags.server)->SetWeight(&context, request, &response);
  if (!status.ok()) return Failed("set-weight", flags, status);
  std::cout << response.replica().server_id() << " (" << response.replica().service() << " at "
            << response.replica().address() << ") weight " << response.replica().weight() << "\n";
  return 0;
}

}  // namespace

void AddXdsCommand(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<XdsFlags>();
  CLI::App* cmd = app.add_subcommand("xds",
                                     "Run the xDS control plane (ADS, the replica registry and the "
                                     "mesh CA) for xds:///SERVICE clients");
  cmd->require_subcommand(0, 1);
  cmd->add_option("--listen", flags->listen, "Address to serve ADS and the registry on")
      ->capture_default_str();
  cmd->add_option("--heartbeat-ttl", flags->heartbeat_ttl,
                  "A replica without a heartbeat for this long leaves the endpoint set")
      ->capture_default_str();
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn or error");
  cmd->add_option("--data-dir", flags->data_dir,
                  "Where the mesh CA keeps its key (ca/ca.key, 0600), root (ca/ca.pem) and the "
                  "join token (join-token), made at first start and reused")
      ->capture_default_str();
  cmd->add_option("--trust-domain", flags->trust_domain,
                  "SPIFFE trust domain: certificates name spiffe://DOMAIN/service/NAME")
      ->capture_default_str();
  cmd->add_option("--cert-lifetime", flags->cert_lifetime,
                  "Lifetime of each workload certificate (1s..720h); workloads renew at 2/3")
      ->capture_default_str();
  cmd->add_option("--join-token-file", flags->join_token_file,
                  "The operator's join token (instead of DATA_DIR/join-token)");

  CLI::App* list = cmd->add_subcommand("list", "List registered replicas and their last load");
  list->add_option("--server", flags->server, "The control plane's address")->capture_default_str();
  list->add_option("--service", flags->service, "Only this service's replicas");

  CLI::App* set_weight = cmd->add_subcommand("set-weight", "Set a replica's weight (0 drains it)");
  set_weight->add_option("server_id", flags->server_id, "The replica, as `list` shows it")
      ->required();
  set_weight->add_option("weight", flags->weight, "Relative share of its service's traffic")
      ->required();
  set_weight->add_option("--server", flags->server, "The control plane's address")
      ->capture_default_str();

  CLI::App* bootstrap =
      cmd->add_subcommand("bootstrap", "Print a gRPC xDS bootstrap (GRPC_XDS_BOOTSTRAP_CONFIG)");
  bootstrap->add_option("--server", flags->server, "The control plane's address")
      ->capture_default_str();
  bootstrap->add_option("--node-id", flags->node_id, "The client's node id")->capture_default_str();

  cmd->callback([flags, list, set_weight, bootstrap, &runner] {
    if (list->parsed()) {
      runner = [flags] { return RunList(*flags); };
    } else if (set_weight->parsed()) {
      runner = [flags] { return RunSetWeight(*flags); };
    } else if (bootstrap->parsed()) {
      runner = [flags] {
        std::cout << xds::BootstrapJson(flags->server, flags->node_id) << "\n";
        return 0;
      };
    } else {
      runner = [flags] { return RunXdsServer(*flags); };
    }
  });
}

}  // namespace switchboard::cli
