// grpc.testing.TestService, the server side of the gRPC interop cases (grpc/grpc
// doc/interop-test-descriptions.md, "Server"), on the grpc++ callback API and hosted like every
// Switchboard service, so tests can put the edge gateway in front of it.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/service.h"

namespace switchboard::interop {

// Implements EmptyCall, UnaryCall, StreamingOutputCall, StreamingInputCall and FullDuplexCall
// with the spec's "Echo Status" and "Echo Metadata" features; UnimplementedCall is left to
// grpc++, which answers UNIMPLEMENTED. Takes no settings.
absl::StatusOr<std::unique_ptr<common::Service>> MakeTestService(
    const common::ServiceOptions& options);

}  // namespace switchboard::interop
