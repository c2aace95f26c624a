// `x-server-id` on every reply: which replica answered, so balancing across replicas can be
// seen from any client (and through the gateway, which passes metadata on). It is a response
// header, except on an error answered at once, where it is a trailer.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/support/server_interceptor.h>

namespace switchboard::common {

inline constexpr char kServerIdHeader[] = "x-server-id";

// Holds the id; it is set once the port is known (port 0 is picked at bind time).
class ServerIdentity {
 public:
  void Set(std::string id);
  std::shared_ptr<const std::string> Get() const;

 private:
  std::shared_ptr<const std::string> id_ = std::make_shared<const std::string>();
};

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerIdInterceptorFactory(std::shared_ptr<ServerIdentity> identity);

}  // namespace switchboard::common
