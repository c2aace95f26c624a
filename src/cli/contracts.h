// The compiled-in contracts, looked up the way a person types them on the command line:
// `ticket get-event`, `stock watch`, `booking create`.
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace switchboard::cli {

// Every service compiled into this binary: ours and grpc.health.v1.
std::vector<const google::protobuf::ServiceDescriptor*> AllServices();

// "ticket" -> switchboard.ticket.v1.TicketService; a full name is accepted too.
absl::StatusOr<const google::protobuf::ServiceDescriptor*> FindService(const std::string& name);

// Case and '-'/'_' are ignored; an exact name wins, else a unique prefix ("create").
absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(
    const google::protobuf::ServiceDescriptor* service, const std::string& name);

// Every compiled-in contract and its imports as a FileDescriptorSet (what protoc
// --include_imports --descriptor_set_out writes), for the gateway.
std::string DescriptorSetBytes();

// The service's short name, the package's middle part: switchboard.ticket.v1.TicketService ->
// "ticket", grpc.health.v1.Health -> "health".
std::string ShortName(const google::protobuf::ServiceDescriptor* service);

}  // namespace switchboard::cli
