// REST errors: the HTTP status for a gRPC status code, the JSON error body
// {"code": <gRPC code>, "message": "...", "details": []}, and the grpc-message percent-encoding
// of grpc/grpc doc/PROTOCOL-HTTP2.md, both ways.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace switchboard::gateway::rest {

inline constexpr int kHttpOk = 200;
inline constexpr int kHttpBadRequest = 400;
inline constexpr int kHttpNotFound = 404;
inline constexpr int kHttpMethodNotAllowed = 405;
inline constexpr int kHttpPayloadTooLarge = 413;
inline constexpr int kHttpUriTooLong = 414;
inline constexpr int kHttpUnsupportedMediaType = 415;
inline constexpr int kHttpInternalServerError = 500;

// The payload type URL under which WithHttpStatus records an HTTP status in an absl::Status.
inline constexpr char kHttpStatusPayloadUrl[] = "type.switchboard.dev/http-status";

// The HTTP status for a gRPC status code (0..16); 500 for any other number.
// OK 200, CANCELLED 499, UNKNOWN 500, INVALID_ARGUMENT 400, DEADLINE_EXCEEDED 504,
// NOT_FOUND 404, ALREADY_EXISTS 409, PERMISSION_DENIED 403, RESOURCE_EXHAUSTED 429,
// FAILED_PRECONDITION 400, ABORTED 409, OUT_OF_RANGE 400, UNIMPLEMENTED 501, INTERNAL 500,
// UNAVAILABLE 503, DATA_LOSS 500, UNAUTHENTICATED 401.
int HttpStatusFromGrpcCode(int grpc_code);

// `status` with an HTTP status that overrides the mapping of its code, for the errors the gateway
// raises itself where the mapping says too little (405, 413, 414).
absl::Status WithHttpStatus(absl::Status status, int http_status);
// The status WithHttpStatus recorded, or else HttpStatusFromGrpcCode(status.code()).
int HttpStatusFromStatus(const absl::Status& status);

// {"code":<grpc_code>,"message":"<message>","details":[]}, `message` escaped as JSON (ill-formed
// UTF-8 replaced by U+FFFD).
std::string JsonErrorBody(int grpc_code, std::string_view message);
std::string JsonErrorBody(const absl::Status& status);

}  // namespace switchboard::gateway::rest
