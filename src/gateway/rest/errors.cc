#include "errors.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/codec/status_codes.h"
#include "json_text.h"

namespace switchboard::gateway::rest {
namespace {

// Indexed by gRPC code (grpc/grpc doc/statuscodes.md, and grpc-gateway's mapping).
constexpr int kHttpStatusByGrpcCode[kGrpcMaxCode + 1] = {
    200,  // OK
    499,  // CANCELLED (client closed request)
    500,  // UNKNOWN
    400,  // INVALID_ARGUMENT
    504,  // DEADLINE_EXCEEDED
    404,  // NOT_FOUND
    409,  // ALREADY_EXISTS
    403,  // PERMISSION_DENIED
    429,  // RESOURCE_EXHAUSTED
    400,  // FAILED_PRECONDITION
    409,  // ABORTED
    400,  // OUT_OF_RANGE
    501,  // UNIMPLEMENTED
    500,  // INTERNAL
    503,  // UNAVAILABLE
    500,  // DATA_LOSS
    401,  // UNAUTHENTICATED
};

}  // namespace

int HttpStatusFromGrpcCode(int grpc_code) {
  if (grpc_code < 0 || grpc_code > kGrpcMaxCode) return kHttpInternalServerError;
  return kHttpStatusByGrpcCode[grpc_code];
}

absl::Status WithHttpStatus(absl::Status status, int http_status) {
  status.SetPayload(kHttpStatusPayloadUrl, absl::Cord(absl::StrCat(http_status)));
  return status;
}

int HttpStatusFromStatus(const absl::Status& status) {
  if (auto payload = status.GetPayload(kHttpStatusPayloadUrl)) {
    int http_status = 0;
    if (absl::SimpleAtoi(std::string(*payload), &http_status)) return http_status;
  }
  return HttpStatusFromGrpcCode(static_cast<int>(status.code()));
}

std::string JsonErrorBody(int grpc_code, std::string_view message) {
  std::string body = absl::StrCat("{\"code\":", grpc_code, ",\"message\":");
  AppendJsonString(message, &body);
  body += ",\"details\":[]}";
  return body;
}

std::string JsonErrorBody(const absl::Status& status) {
  return JsonErrorBody(static_cast<int>(status.code()), std::string(status.message()));
}

}  // namespace switchboard::gateway::rest
