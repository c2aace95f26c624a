#include "common/service_host.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/port_check.h"
#include "common/rpc_log.h"
#include "common/service_names_option.h"

namespace switchboard::common {
namespace {

// After the grace, how long the services' own answers to the calls they end have before
// grpc++ cancels whatever is still open.
constexpr std::chrono::milliseconds kEndCallsMargin{500};

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(const std::string& address,
                                                                std::vector<Service*> services,
                                                                const HostOptions& options) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\" is not host:port"));
  }
  // Checked first, so a port in use is one clear line (and says what holds it) instead of
  // grpc-core's error dump; a port held only by a client connection is waited for.
  int port = 0;
  if (absl::SimpleAtoi(address.substr(colon + 1), &port) && port != 0) {
    const PortUse use = AwaitPort(address.substr(0, colon), port);
    if (use.kind != PortUse::Kind::kFree) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ",
                                                 DescribePortUse(use)));
    }
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<ServiceHost> host(
      new ServiceHost(address.substr(0, colon), services, options));
  // Known before the first call can arrive unless the port is picked at bind time.
  host->identity_->Set(absl::StrReplaceAll(options.server_id, {{"{address}", address}}));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &host->port_);
  // Without this a second server could bind the same port and silently share its traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  // Lets a client see a stalled connection quickly instead of after the OS TCP timeout.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeRpcLogInterceptorFactory(host->stopping_));
  interceptors.push_back(MakeServerIdInterceptorFactory(host->identity_));
  if (options.add_interceptors) options.add_interceptors(interceptors);
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::vector<std::string> names;
  builder.SetOption(std::make_unique<ServiceNamesOption>(&names));
  for (Service* service : services) {
    for (grpc::Service* grpc_service : service->GrpcServices()) {
      builder.RegisterService(grpc_service);
    }
  }
  host->server_ = builder.BuildAndStart();
  if (host->server_ == nullptr || host->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (in use, or not a local address?)"));
  }
  host->identity_->Set(absl::StrReplaceAll(options.server_id, {{"{address}", host->address()}}));
  // Each service by name too, as health checkers ask (the gateway's, grpc++'s client-side
  // health checking); SetServing later changes them all at once.
  grpc::HealthCheckServiceInterface* health = host->server_->GetHealthCheckService();
  for (const std::string& name : names) health->SetServingStatus(name, true);
  health->SetServingStatus(true);
  for (Service* service : host->services_) {
    service->AttachHealth([server = host.get()](bool serving) { server->SetServing(serving); });
  }
  return host;
}

ServiceHost::~ServiceHost() { Shutdown(); }

std::string ServiceHost::address() const { return absl::StrCat(host_, ":", port_); }

void ServiceHost::SetServing(bool serving) {
  // Also called from a service's own thread (AttachHealth): stopping_ is the atomic twin of
  // shut_down_.
  if (stopping_->load() || server_ == nullptr) return;
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

void ServiceHost::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  stopping_->store(true);
  server_->GetHealthCheckService()->SetServingStatus(false);
  for (Service* service : services_) {
    if (service->HasEndlessStreams()) service->BeginShutdown();
  }
  // grpc++ refuses new calls from here on and lets those in flight run until its deadline,
  // then cancels them. When the grace is over the services end theirs first, with their own
  // status; the margin lets those answers go out before grpc++ cancels what is left.
  std::mutex mutex;
  std::condition_variable drained;
  bool done = false;
  std::thread stopper([&] {
    server_->Shutdown(std::chrono::system_clock::now() + options_.shutdown_grace +
                      kEndCallsMargin);
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    drained.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    drained.wait_for(lock, options_.shutdown_grace, [&] { return done; });
  }
  for (Service* service : services_) {
    if (!service->HasEndlessStreams()) service->BeginShutdown();
  }
  stopper.join();
  server_->Wait();
}

}  // namespace switchboard::common
