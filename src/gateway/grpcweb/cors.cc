#include "cors.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchboard::gateway::grpcweb {
namespace {

constexpr std::string_view kAnyOrigin = "*";
constexpr std::string_view kAllowMethods = "POST, OPTIONS";
constexpr std::string_view kCallMethod = "POST";
constexpr std::string_view kPreflightMethod = "OPTIONS";
constexpr std::string_view kReservedPrefix = "grpc-";
constexpr size_t kMaxPortDigits = 5;

bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "scheme://host[:port]" with nothing after: what a browser sends as Origin.
bool IsSerializedOrigin(std::string_view origin) {
  const size_t sep = origin.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  const std::string_view scheme = origin.substr(0, sep);
  if (!IsLowerAlpha(scheme[0])) return false;
  for (char c : scheme) {
    if (!IsLowerAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  std::string_view rest = origin.substr(sep + 3);
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {  // IPv6 literal
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    for (char c : rest.substr(1, close - 1)) {
      if (!IsDigit(c) && !(c >= 'a' && c <= 'f') && c != ':' && c != '.') return false;
    }
    host = rest.substr(0, close + 1);
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
    if (!rest.empty() && port.empty()) return false;
  } else {
    const size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty()) return false;
    for (char c : host) {
      if (!IsLowerAlpha(c) && !IsDigit(c) && c != '-' && c != '.') return false;
    }
  }
  if (port.size() > kMaxPortDigits) return false;
  return std::all_of(port.begin(), port.end(), IsDigit);
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Response headers a browser exposes without being told (Fetch: CORS-safelisted response
// header names), and the CORS headers themselves.
bool NeedsNoExposure(std::string_view name) {
  static constexpr std::string_view kSafelisted[] = {
      "cache-control", "content-language", "content-length", "content-type",
      "expires",       "last-modified",    "pragma",         "vary"};
  for (std::string_view safe : kSafelisted) {
    if (name == safe) return true;
  }
  return name.substr(0, 15) == "access-control-";
}

// The comma-separated names of Access-Control-Request-Headers, lowercase, bounded.
std::vector<std::string> RequestedHeaders(const std::string* value) {
  std::vector<std::string> names;
  if (value == nullptr) return names;
  std::string_view rest = *value;
  while (names.size() < kMaxPreflightRequestedHeaders) {
    const size_t comma = rest.find(',');
    const std::string_view name = TrimOws(rest.substr(0, comma));
    if (!name.empty()) names.push_back(ToLower(name));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return names;
}

PreflightResponse Forbidden(std::string reason) {
  PreflightResponse response;
  response.head.status = 403;
  response.head.headers = {{"content-type", "text/plain; charset=utf-8"}};
  response.body = std::move(reason);
  return response;
}

}  // namespace

const std::vector<std::string>& CorsPolicy::DefaultAllowHeaders() {
  // content-type, x-grpc-web, x-user-agent, grpc-accept-encoding: set by the official client
  // on every call; grpc-timeout when it has a deadline; authorization for bearer tokens.
  static const auto* const kDefaults =
      new std::vector<std::string>{"content-type", "x-grpc-web",           "x-user-agent",
                                   "grpc-timeout", "grpc-accept-encoding", "authorization"};
  return *kDefaults;
}

absl::StatusOr<CorsPolicy> CorsPolicy::Create(const CorsConfig& config) {
  CorsPolicy policy;
  for (const std::string& origin : config.allow_origins) {
    if (origin == kAnyOrigin) {
      policy.allow_any_origin_ = true;
      continue;
    }
    std::string lower = ToLower(origin);
    if (!IsSerializedOrigin(lower)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cors.allow_origins ", Quote(origin),
                       ": want \"*\" or an origin scheme://host[:port], without path or "
                       "trailing slash (e.g. \"https://app.example.com\")"));
    }
    policy.origins_.push_back(std::move(lower));
  }
  if (config.allow_credentials && policy.allow_any_origin_) {
    return absl::InvalidArgumentError(
        "cors.allow_credentials with cors.allow_origins \"*\" would let every site call with "
        "the user's cookies: list the origins instead");
  }
  if (config.max_age.count() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cors.max_age ", config.max_age.count(), "s: must not be negative"));
  }
  policy.allow_credentials_ = config.allow_credentials;
  policy.max_age_ = config.max_age;
  for (const auto* list : {&config.extra_allow_headers, &config.extra_expose_headers}) {
    for (const std::string& name : *list) {
      std::string lower = ToLower(name);
      if (!IsValidMetadataName(lower)) {
        return absl::InvalidArgumentError(
            absl::StrCat("cors header name ", Quote(name),
                         ": want 0-9 a-z _ - . only, as gRPC metadata names are"));
      }
      auto& target = list == &config.extra_allow_headers ? policy.extra_allow_headers_
                                                         : policy.extra_expose_headers_;
      if (!Contains(target, lower)) target.push_back(std::move(lower));
    }
  }
  return policy;
}

bool CorsPolicy::AllowsOrigin(std::string_view origin) const {
  // Echoed back in a header, so it must be a clean header value whatever the list says.
  if (origin.empty() || !IsValidMetadataValue(origin)) return false;
  if (allow_any_origin_) return true;
  for (const std::string& allowed : origins_) {
    if (EqualsIgnoreCase(allowed, origin)) return true;
  }
  return false;
}

bool CorsPolicy::IsPreflight(const Headers& request_headers) {
  const std::string* method = FindHeader(request_headers, ":method");
  return method != nullptr && *method == kPreflightMethod &&
         FindHeader(request_headers, "origin") != nullptr &&
         FindHeader(request_headers, "access-control-request-method") != nullptr;
}

PreflightResponse CorsPolicy::Preflight(const Headers& request_headers) const {
  const std::string* origin = FindHeader(request_headers, "origin");
  if (origin == nullptr || !AllowsOrigin(*origin)) {
    return Forbidden(absl::StrCat("origin ", Quote(origin ? *origin : ""),
                                  " is not allowed by cors.allow_origins\n"));
  }
  const std::string* method = FindHeader(request_headers, "access-control-request-method");
  if (method == nullptr || TrimOws(*method) != kCallMethod) {
    return Forbidden(absl::StrCat("access-control-request-method ", Quote(method ? *method : ""),
                                  ": gRPC-Web calls are POST\n"));
  }
  std::vector<std::string> allowed = DefaultAllowHeaders();
  for (const std::string& name : extra_allow_headers_) {
    if (!Contains(allowed, name)) allowed.push_back(name);
  }
  for (std::string& name :
       RequestedHeaders(FindHeader(request_headers, "access-control-request-headers"))) {
    if (Contains(allowed, name)) continue;
    // Any custom metadata may be sent; names a browser forbids or gRPC reserves may not.
    if (!IsValidMetadataName(name) || IsHopByHopHeader(name) ||
        name.substr(0, kReservedPrefix.size()) == kReservedPrefix) {
      continue;
    }
    allowed.push_back(std::move(name));
  }
  PreflightResponse response;
  response.head.status = 204;
  Headers& headers = response.head.headers;
  headers.emplace_back("access-control-allow-origin", *origin);
  headers.emplace_back("vary",
                       "origin, access-control-request-method, access-control-request-headers");
  headers.emplace_back("access-control-allow-methods", std::string(kAllowMethods));
  headers.emplace_back("access-control-allow-headers", absl::StrJoin(allowed, ", "));
  headers.emplace_back("access-control-max-age", std::to_string(max_age_.count()));
  if (allow_credentials_) headers.emplace_back("access-control-allow-credentials", "true");
  return response;
}

void CorsPolicy::AddResponseHeaders(std::string_view origin, Headers* response_headers) const {
  if (!AllowsOrigin(origin)) return;
  std::vector<std::string> expose = {"grpc-status", "grpc-message", "grpc-status-details-bin"};
  for (const std::string& name : extra_expose_headers_) {
    if (!Contains(expose, name)) expose.push_back(name);
  }
  for (const auto& [key, value] : *response_headers) {
    std::string name = ToLower(key);
    if (name.empty() || name[0] == ':' || NeedsNoExposure(name) || Contains(expose, name)) {
      continue;
    }
    expose.push_back(std::move(name));
  }
  response_headers->emplace_back("access-control-allow-origin", std::string(origin));
  response_headers->emplace_back("vary", "origin");
  if (allow_credentials_) {
    response_headers->emplace_back("access-control-allow-credentials", "true");
  }
  response_headers->emplace_back("access-control-expose-headers", absl::StrJoin(expose, ", "));
}

}  // namespace switchboard::gateway::grpcweb
