#include "gateway/rest/errors.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/rest/json_text.h"

namespace switchboard::gateway::rest {
namespace {

constexpr int kMaxGrpcCode = 16;
constexpr int kGrpcUnknown = 2;

// Indexed by gRPC code (grpc/grpc doc/statuscodes.md, and grpc-gateway's mapping).
constexpr int kHttpStatusByGrpcCode[kMaxGrpcCode + 1] = {
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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

int HttpStatusFromGrpcCode(int grpc_code) {
  if (grpc_code < 0 || grpc_code > kMaxGrpcCode) return kHttpInternalServerError;
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

int ParseGrpcStatus(std::string_view header_value) {
  if (header_value.empty() || header_value.size() > 2) return kGrpcUnknown;
  int code = 0;
  for (const char c : header_value) {
    if (c < '0' || c > '9') return kGrpcUnknown;
    code = code * 10 + (c - '0');
  }
  return code <= kMaxGrpcCode ? code : kGrpcUnknown;
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

std::string DecodeGrpcMessage(std::string_view header_value) {
  std::string out;
  out.reserve(header_value.size());
  for (size_t i = 0; i < header_value.size(); ++i) {
    if (header_value[i] == '%' && i + 2 < header_value.size()) {
      const int hi = HexValue(header_value[i + 1]);
      const int lo = HexValue(header_value[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(header_value[i]);
  }
  return out;
}

std::string EncodeGrpcMessage(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const auto u = static_cast<uint8_t>(c);
    if (u < 0x20 || u > 0x7e || c == '%') {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace switchboard::gateway::rest
