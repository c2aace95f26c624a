// The gRPC status a client takes from an HTTP response that carries no grpc-status (an
// intermediary's or a non-gRPC server's answer), as grpc/doc/http-grpc-status-mapping.md
// defines it. Used only where grpc-status is missing; never to choose an HTTP status.
#pragma once

#include <string>

namespace switchboard::gateway {

// The HTTP status in a ":status" value, or -1 when absent or not three digits.
int ParseHttpStatus(const std::string* value);

// 400 -> INTERNAL, 401 -> UNAUTHENTICATED, 403 -> PERMISSION_DENIED, 404 -> UNIMPLEMENTED,
// 429/502/503/504 -> UNAVAILABLE, anything else -> UNKNOWN (as gRPC codes).
int GrpcCodeOfHttpStatus(int http_status);

}  // namespace switchboard::gateway
