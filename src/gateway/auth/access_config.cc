#include "gateway/auth/access_config.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/auth/authenticator.h"

namespace switchboard::gateway::auth {
namespace {

absl::Status Refuse(const std::string& key, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", message));
}

}  // namespace

absl::Status SetUpAccessControl(GatewayConfig* config) {
  AuthConfig& auth = config->auth;
  std::set<std::string> claim_keys;
  for (const auto& [name, route] : config->services) {
    const std::string where = absl::StrCat("services.", name);
    if (auth.providers.empty()) {
      if (route.auth.mode != AuthMode::kNone) {
        return Refuse(where + ".auth",
                      absl::StrCat(AuthModeName(route.auth.mode), " needs a provider in auth.jwt"));
      }
      for (const auto& [method, mode] : route.auth.methods) {
        if (mode != AuthMode::kNone) {
          return Refuse(absl::StrCat(where, ".methods.", method, ".auth"),
                        absl::StrCat(AuthModeName(mode), " needs a provider in auth.jwt"));
        }
      }
    }
    auto note_claim = [&](const limits::RateLimitPolicy& policy, const std::string& key) {
      if (policy.key.kind != limits::RateLimitKey::Kind::kClaim) return absl::OkStatus();
      if (auth.providers.empty()) return Refuse(key, "a claim key needs a provider in auth.jwt");
      claim_keys.insert(policy.key.name);
      return absl::OkStatus();
    };
    if (route.rate_limit.service) {
      if (auto s = note_claim(*route.rate_limit.service, where + ".rate_limit.key"); !s.ok()) {
        return s;
      }
    }
    for (const auto& [method, policy] : route.rate_limit.methods) {
      if (auto s = note_claim(policy, absl::StrCat(where, ".methods.", method, ".rate_limit.key"));
          !s.ok()) {
        return s;
      }
    }
  }
  if (!auth.providers.empty()) {
    auth.authenticator =
        std::make_shared<Authenticator>(auth.providers, auth.cache_entries, claim_keys);
  }
  return absl::OkStatus();
}

absl::Status CheckMethodPolicies(const ServiceRoute& route,
                                 const google::protobuf::ServiceDescriptor& service) {
  auto check = [&](const std::string& method) {
    if (service.FindMethodByName(method) != nullptr) return absl::OkStatus();
    std::string known;
    for (int i = 0; i < service.method_count(); ++i) {
      absl::StrAppend(&known, i == 0 ? "" : ", ", service.method(i)->name());
    }
    return Refuse(absl::StrCat("services.", route.name, ".methods.", method),
                  absl::StrCat("no such method in ", service.full_name(), " (", known, ")"));
  };
  for (const auto& entry : route.auth.methods) {
    if (auto s = check(entry.first); !s.ok()) return s;
  }
  for (const auto& entry : route.rate_limit.methods) {
    if (auto s = check(entry.first); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace switchboard::gateway::auth
