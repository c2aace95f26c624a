// Calls any compiled-in method with JSON in and JSON out, over grpc++'s generic stub, so one
// code path serves unary, server-streaming and client-streaming methods alike.
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace switchboard::cli {

// Converts JSON (proto3 JSON mapping) to the binary form of `type`; unknown fields and wrong
// types are errors naming the problem.
absl::StatusOr<std::string> JsonToBinary(const google::protobuf::Descriptor* type,
                                         const std::string& json);
absl::StatusOr<std::string> BinaryToJson(const google::protobuf::Descriptor* type,
                                         const std::string& binary, bool pretty);

// Sends every request (already binary) then half-closes, and prints each response as JSON,
// one per line (indented when `pretty`). `context` carries deadline and metadata and may be
// cancelled from another thread.
grpc::Status CallGeneric(const std::shared_ptr<grpc::Channel>& channel,
                         const google::protobuf::MethodDescriptor* method,
                         const std::vector<std::string>& requests, grpc::ClientContext* context,
                         bool pretty, std::ostream& out);

}  // namespace switchboard::cli
