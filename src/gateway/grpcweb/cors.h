// CORS for gRPC-Web (PROTOCOL-WEB.md, "CORS preflight"; the Fetch standard's CORS protocol):
// answers preflights and adds the headers a browser needs to read an actual response.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/codec/headers.h"

namespace switchboard::gateway::grpcweb {

// How long a browser may cache a preflight answer. Chromium caps it at 2 hours, so longer
// buys nothing there.
inline constexpr std::chrono::seconds kDefaultCorsMaxAge{7200};
// Requested header names considered in one preflight; the rest are not allowed.
inline constexpr size_t kMaxPreflightRequestedHeaders = 64;

// The `cors` block of the gateway config. Defaults here, in one place.
struct CorsConfig {
  // Origins allowed to call, "scheme://host[:port]" compared case-insensitively, or "*" for
  // any. Empty: no cross-origin call is allowed.
  std::vector<std::string> allow_origins;
  // Sends Access-Control-Allow-Credentials: true, for clients created withCredentials
  // (cookies, HTTP authentication). Refused together with "*".
  bool allow_credentials = false;
  std::chrono::seconds max_age = kDefaultCorsMaxAge;
  // Request headers allowed beyond the defaults and any valid metadata name (kept for names the
  // default rule refuses, such as reserved grpc-* ones).
  std::vector<std::string> extra_allow_headers;
  // Response headers exposed beyond grpc-status, grpc-message, grpc-status-details-bin and the
  // metadata names present in each response.
  std::vector<std::string> extra_expose_headers;
};

// A preflight's answer: 204 with the CORS headers, or 403 without any and a text/plain body
// saying why (the browser only reports a CORS failure; the body is for whoever reads logs).
struct PreflightResponse {
  ResponseHead head;
  std::string body;
};

class CorsPolicy {
 public:
  // INVALID_ARGUMENT naming the value for an origin that is not "*" nor scheme://host[:port]
  // (a path, a trailing slash, "null"), a header name that is not a valid token, or
  // allow_credentials with "*", which would let every site act with the user's cookies.
  static absl::StatusOr<CorsPolicy> Create(const CorsConfig& config);

  bool AllowsOrigin(std::string_view origin) const;

  // An OPTIONS request with Origin and Access-Control-Request-Method. `request_headers` holds
  // ":method" as a pseudo-header (HTTP/1.1 servers add it from the request line).
  static bool IsPreflight(const Headers& request_headers);

  // 204 for an allowed origin asking for POST, with Access-Control-Allow-Origin (the origin
  // itself), Vary, -Allow-Methods "POST, OPTIONS", -Allow-Headers (the defaults below, the
  // configured extras and every requested header that is a valid gRPC metadata name and not
  // hop-by-hop or reserved grpc-*), -Max-Age and, if configured, -Allow-Credentials.
  // 403 otherwise.
  PreflightResponse Preflight(const Headers& request_headers) const;

  // Adds to an actual response's headers what lets the browser read it: nothing when `origin`
  // is empty (a same-origin or non-browser call) or not allowed; else
  // Access-Control-Allow-Origin: <origin>, Vary: Origin, -Allow-Credentials if configured,
  // and Access-Control-Expose-Headers: grpc-status, grpc-message, grpc-status-details-bin,
  // the configured extras and every other header name already in `response_headers`
  // (custom initial metadata, or trailers of a trailers-only response). Call it last.
  void AddResponseHeaders(std::string_view origin, Headers* response_headers) const;

  // Always allowed in a preflight: what the official client sends, and authorization.
  static const std::vector<std::string>& DefaultAllowHeaders();

 private:
  CorsPolicy() = default;

  bool allow_any_origin_ = false;
  std::vector<std::string> origins_;  // lowercase
  bool allow_credentials_ = false;
  std::chrono::seconds max_age_{0};
  std::vector<std::string> extra_allow_headers_;   // lowercase
  std::vector<std::string> extra_expose_headers_;  // lowercase
};

}  // namespace switchboard::gateway::grpcweb
