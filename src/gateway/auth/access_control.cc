#include "gateway/auth/access_control.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gateway/gateway_metrics.h"
#include "gateway/upstream/call_start.h"

namespace switchboard::gateway::auth {
namespace {

const Headers& MetadataOf(const CallStart& start) {
  static const Headers kNone;
  return start.metadata != nullptr ? *start.metadata : kNone;
}

// Where the first provider looks for a token, for the message of a call without one.
std::string WhereTokensGo(const AuthConfig& config) {
  const TokenSource& source = config.providers.front().source;
  switch (source.kind) {
    case TokenSource::Kind::kBearer:
      return "Authorization: Bearer <JWT>";
    case TokenSource::Kind::kHeader:
      return absl::StrCat("header ", source.name);
    case TokenSource::Kind::kQuery:
      return absl::StrCat("query parameter ", source.name);
  }
  return "";
}

// RFC 6750 3: error_description is a quoted-string of printable ASCII without '"' or '\'.
std::string WwwAuthenticate(const std::string& description) {
  std::string text;
  for (char c : description) {
    text.push_back(c == '"' || c == '\\' || c < 0x20 || c > 0x7e ? '\'' : c);
  }
  return absl::StrCat("Bearer error=\"invalid_token\", error_description=\"", text, "\"");
}

std::string ClientKey(const limits::RateLimitKey& key, const Headers& metadata,
                      const Admission& admission, const CallStart& start) {
  if (key.kind == limits::RateLimitKey::Kind::kHeader) {
    if (const std::string* value = FindHeader(metadata, key.name)) return "h:" + *value;
  } else if (key.kind == limits::RateLimitKey::Kind::kClaim && admission.token) {
    auto it = admission.token->claims.find(key.name);
    if (it != admission.token->claims.end()) return "c:" + it->second;
  }
  // client_ip, and the calls that lack the header or the claim.
  return start.client_address ? "a:" + start.client_address() : std::string("a:");
}

}  // namespace

Admission AdmitCall(const GatewayContext& context, const RouteTarget& target,
                    const CallStart& start, ProxyStream& stream) {
  Admission admission;
  const ServiceRoute& route = *target.route;
  // The method's name ("GetEvent"); from the path when the route has no descriptor for it.
  const std::string_view method =
      target.method != nullptr ? std::string_view(target.method->name())
                               : std::string_view(stream.path).substr(stream.path.rfind('/') + 1);
  const AuthMode mode = route.auth.ModeOf(method);
  const AuthConfig& config = context.config->auth;
  if (mode != AuthMode::kNone && config.authenticator) {
    AuthOutcome outcome = config.authenticator->Authenticate(MetadataOf(start), start.query);
    if (outcome.kind == AuthOutcome::Kind::kVerified) {
      admission.provider = outcome.provider;
      admission.token = std::move(outcome.token);
    } else if (outcome.kind == AuthOutcome::Kind::kRejected || mode == AuthMode::kRequired) {
      const bool missing = outcome.kind == AuthOutcome::Kind::kNoToken;
      const std::string reason =
          missing ? absl::StrCat("no token: send ", WhereTokensGo(config)) : outcome.message;
      context.metrics->AuthRejected(RejectionLabel(missing ? Rejection::kMissing : outcome.reason));
      stream.error_headers = {{"www-authenticate", WwwAuthenticate(reason)}};
      admission.status = absl::UnauthenticatedError(reason);
      return admission;
    }
  }
  const limits::RateLimitPolicy* limit = route.rate_limit.For(method);
  if (limit == nullptr) return admission;
  const auto decision =
      limit->buckets->Take(ClientKey(limit->key, MetadataOf(start), admission, start));
  if (decision.allowed) return admission;
  const int64_t retry_seconds = std::max<int64_t>(
      1,
      static_cast<int64_t>(std::ceil(std::chrono::duration<double>(decision.retry_after).count())));
  context.metrics->RateLimited(stream.path);
  stream.error_headers = {{"retry-after", std::to_string(retry_seconds)}};
  admission.status = absl::ResourceExhaustedError(absl::StrFormat(
      "rate limit of %g requests per second (burst %d) per %s reached: retry in %ds",
      limit->requests_per_second, limit->burst, limit->key.ToString(), retry_seconds));
  return admission;
}

void AddIdentity(const AuthConfig& config, const Admission& admission, Headers& backend_headers) {
  if (!config.authenticator || config.authenticator->forwarded_headers().empty()) return;
  const auto& forwarded = config.authenticator->forwarded_headers();
  backend_headers.erase(std::remove_if(backend_headers.begin(), backend_headers.end(),
                                       [&](const auto& header) {
                                         for (const std::string& name : forwarded) {
                                           if (EqualsIgnoreCase(header.first, name)) return true;
                                         }
                                         return false;
                                       }),
                        backend_headers.end());
  if (!admission.token) return;
  for (const auto& [claim, header] : admission.provider->forward_claims) {
    auto it = admission.token->claims.find(claim);
    if (it != admission.token->claims.end()) backend_headers.emplace_back(header, it->second);
  }
}

}  // namespace switchboard::gateway::auth
