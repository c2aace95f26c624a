// A ServerBuilder option that records the full names of the services the built server
// registers ("switchboard.ticket.v1.TicketService", ...), as grpc++'s reflection plugin learns
// them: grpc::Service does not expose its name, and the health service answers NOT_FOUND for a
// name nobody set.
#pragma once

#include <grpcpp/impl/server_builder_option.h>

#include <memory>
#include <string>
#include <vector>

namespace switchboard::common {

class ServiceNamesOption : public grpc::ServerBuilderOption {
 public:
  // `names` receives the names once the server is built; it must outlive BuildAndStart.
  explicit ServiceNamesOption(std::vector<std::string>* names) : names_(names) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override;

 private:
  std::vector<std::string>* names_;
};

}  // namespace switchboard::common
