#include "gateway/limits/rate_limit_config.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/auth/config_fields.h"
#include "gateway/codec/headers.h"

namespace switchboard::gateway::limits {
namespace {

using config_fields::KeyError;

absl::Status ReadKey(const YAML::Node& node, const std::string& key, RateLimitKey* out) {
  const std::string value = node.IsScalar() ? node.Scalar() : "";
  if (value == "client_ip") {
    out->kind = RateLimitKey::Kind::kClientIp;
    return absl::OkStatus();
  }
  if (absl::StartsWith(value, "header:")) {
    out->kind = RateLimitKey::Kind::kHeader;
    out->name = absl::AsciiStrToLower(value.substr(7));
    if (!IsValidMetadataName(out->name)) {
      return KeyError(key, absl::StrCat("\"", out->name, "\" is not a header name"));
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(value, "claim:") && value.size() > 6) {
    out->kind = RateLimitKey::Kind::kClaim;
    out->name = value.substr(6);
    return absl::OkStatus();
  }
  return KeyError(key, absl::StrCat("\"", value, "\" is not client_ip, header:NAME or claim:NAME"));
}

absl::Status ReadPolicy(const YAML::Node& node, const std::string& where, RateLimitPolicy* out) {
  if (auto s = config_fields::CheckKeys(node, where,
                                        {"requests_per_second", "burst", "key", "max_keys"});
      !s.ok()) {
    return s;
  }
  if (!node["requests_per_second"]) return KeyError(where + ".requests_per_second", "missing");
  if (auto s = config_fields::ReadNumber(
          node["requests_per_second"], where + ".requests_per_second", 0,
          RateLimitPolicy::kMaxRequestsPerSecond, &out->requests_per_second);
      !s.ok()) {
    return s;
  }
  if (out->requests_per_second <= 0) {
    return KeyError(where + ".requests_per_second", "must be > 0");
  }
  out->burst = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(out->requests_per_second)));
  if (node["burst"]) {
    if (auto s = config_fields::ReadInt(
            node["burst"], where + ".burst", 1,
            static_cast<int64_t>(RateLimitPolicy::kMaxRequestsPerSecond), &out->burst);
        !s.ok()) {
      return s;
    }
  }
  if (node["key"]) {
    if (auto s = ReadKey(node["key"], where + ".key", &out->key); !s.ok()) return s;
  }
  if (node["max_keys"]) {
    int64_t max_keys = 0;
    if (auto s = config_fields::ReadInt(node["max_keys"], where + ".max_keys", 1,
                                        RateLimitPolicy::kMaxMaxKeys, &max_keys);
        !s.ok()) {
      return s;
    }
    out->max_keys = static_cast<size_t>(max_keys);
  }
  out->buckets = std::make_shared<TokenBuckets>(out->requests_per_second,
                                                static_cast<double>(out->burst), out->max_keys);
  return absl::OkStatus();
}

}  // namespace

std::string RateLimitKey::ToString() const {
  switch (kind) {
    case Kind::kClientIp:
      return "client_ip";
    case Kind::kHeader:
      return "header:" + name;
    case Kind::kClaim:
      return "claim:" + name;
  }
  return "?";
}

absl::Status ReadRouteRateLimit(const YAML::Node& service, const std::string& where,
                                RouteRateLimit* out) {
  if (service["rate_limit"]) {
    RateLimitPolicy policy;
    if (auto s = ReadPolicy(service["rate_limit"], where + ".rate_limit", &policy); !s.ok()) {
      return s;
    }
    out->service = std::move(policy);
  }
  const YAML::Node& methods = service["methods"];
  if (!methods || !methods.IsMap()) return absl::OkStatus();  // ReadRouteAuth says why
  for (const auto& entry : methods) {
    if (!entry.second.IsMap() || !entry.second["rate_limit"]) continue;
    const std::string name = entry.first.as<std::string>();
    RateLimitPolicy policy;
    if (auto s = ReadPolicy(entry.second["rate_limit"],
                            absl::StrCat(where, ".methods.", name, ".rate_limit"), &policy);
        !s.ok()) {
      return s;
    }
    out->methods[name] = std::move(policy);
  }
  return absl::OkStatus();
}

std::string RateLimitDefaultsYaml() {
  return absl::StrCat(
      "#   rate_limit: {requests_per_second: R, burst: R, key: client_ip, max_keys: ",
      RateLimitPolicy::kDefaultMaxKeys,
      "}   # off by default; key: client_ip | header:NAME | claim:NAME\n"
      "#   methods: {MethodName: {auth: ..., rate_limit: {...}}}   # a method's own\n");
}

}  // namespace switchboard::gateway::limits
