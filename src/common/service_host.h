// Runs services on one grpc++ server with what every server here has: health checking,
// reflection, per-RPC logging and message size limits.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/server.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/status/statusor.h"
#include "common/server_identity.h"
#include "common/service.h"

namespace switchboard::common {

struct HostOptions {
  static constexpr int kDefaultMaxMessageBytes = 4 * 1024 * 1024;
  int max_message_bytes = kDefaultMaxMessageBytes;
  std::chrono::milliseconds shutdown_grace{2000};
  // Sent as x-server-id on every reply; "{address}" is replaced by the bound host:port, so a
  // port picked at bind time still shows.
  std::string server_id = "{address}";
  // More server interceptors (e.g. the xDS load counter, which common cannot depend on).
  std::function<void(
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>&)>
      add_interceptors;
};

class ServiceHost {
 public:
  // Binds `address` ("127.0.0.1:0" picks a free port) and starts serving.
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(const std::string& address,
                                                            std::vector<Service*> services,
                                                            const HostOptions& options = {});
  ~ServiceHost();

  int port() const { return port_; }
  std::string address() const;
  grpc::Server* server() { return server_.get(); }
  std::string server_id() const { return *identity_->Get(); }
  // SERVING or NOT_SERVING for every health check name: a NOT_SERVING replica keeps answering
  // calls it gets but health-checking clients and the gateway stop sending new ones.
  void SetServing(bool serving);
  // Drains: marks every service NOT_SERVING and refuses new calls; calls in flight get the
  // grace period to finish, then the services end what is left (Service::BeginShutdown).
  // Endless streams are ended at once (Service::HasEndlessStreams).
  void Shutdown();

 private:
  ServiceHost(std::string host, std::vector<Service*> services, HostOptions options)
      : host_(std::move(host)), services_(std::move(services)), options_(options) {}
  std::string host_;
  std::vector<Service*> services_;
  HostOptions options_;
  std::shared_ptr<ServerIdentity> identity_ = std::make_shared<ServerIdentity>();
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
  // Set when Shutdown begins; the per-RPC log reads it from server threads.
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace switchboard::common
