#include "gateway/codec/http_status.h"

#include "gateway/codec/status_codes.h"

namespace switchboard::gateway {
namespace {

constexpr int kHttpStatusDigits = 3;

}  // namespace

int ParseHttpStatus(const std::string* value) {
  if (value == nullptr || value->size() != kHttpStatusDigits) return -1;
  int status = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return -1;
    status = status * 10 + (c - '0');
  }
  return status;
}

int GrpcCodeOfHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return kGrpcInternal;
    case 401:
      return kGrpcUnauthenticated;
    case 403:
      return kGrpcPermissionDenied;
    case 404:
      return kGrpcUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return kGrpcUnavailable;
    default:
      return kGrpcUnknown;
  }
}

}  // namespace switchboard::gateway
