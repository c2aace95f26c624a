#include "gateway/auth/authenticator.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/match.h"
#include "gateway/rest/percent_encoding.h"

namespace switchboard::gateway::auth {
namespace {

constexpr std::string_view kBearerPrefix = "bearer ";

// The credentials of `Bearer <token>` (the scheme case-insensitive, RFC 9110 11.1); empty for
// any other scheme.
std::string_view BearerToken(std::string_view value, bool prefix_required) {
  value = TrimOws(value);
  if (value.size() > kBearerPrefix.size() &&
      EqualsIgnoreCase(value.substr(0, kBearerPrefix.size()), kBearerPrefix)) {
    return TrimOws(value.substr(kBearerPrefix.size()));
  }
  return prefix_required ? std::string_view() : value;
}

// Calls `visit(name, value)` for each name=value of a query string, as they are (encoded).
template <typename Visit>
void ForEachParameter(std::string_view query, Visit visit) {
  while (!query.empty()) {
    const size_t end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    const size_t equals = std::min(pair.find('='), pair.size());
    visit(pair.substr(0, equals), pair.substr(std::min(equals + 1, pair.size())));
    query.remove_prefix(std::min(end + 1, query.size()));
  }
}

}  // namespace

int64_t Authenticator::SystemUnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Authenticator::Authenticator(std::vector<JwtProvider> providers, size_t cache_entries,
                             const std::set<std::string>& kept_claims, UnixClock clock)
    : providers_(std::move(providers)),
      kept_claims_(kept_claims),
      clock_(std::move(clock)),
      cache_(cache_entries) {
  for (const auto& provider : providers_) {
    for (const auto& [claim, header] : provider.forward_claims) {
      kept_claims_.insert(claim);
      forwarded_headers_.insert(header);
    }
  }
}

void Authenticator::StartKeyRefresh() {
  for (const auto& provider : providers_) {
    if (provider.refresher != nullptr) provider.refresher->Start();
  }
}

std::string_view Authenticator::FindToken(const TokenSource& source, const Headers& metadata,
                                          std::string_view query, std::string* decoded) const {
  switch (source.kind) {
    case TokenSource::Kind::kBearer: {
      const std::string* value = FindHeader(metadata, "authorization");
      return value != nullptr ? BearerToken(*value, true) : std::string_view();
    }
    case TokenSource::Kind::kHeader: {
      const std::string* value = FindHeader(metadata, source.name);
      return value != nullptr ? BearerToken(*value, false) : std::string_view();
    }
    case TokenSource::Kind::kQuery: {
      std::string_view found;
      ForEachParameter(query, [&](std::string_view name, std::string_view value) {
        if (found.empty() && name == source.name) found = value;
      });
      if (found.empty()) return {};
      auto value = rest::PercentDecode(found, rest::PercentDecodeMode::kForm);
      if (!value) return {};
      *decoded = std::move(*value);
      return *decoded;
    }
  }
  return {};
}

AuthOutcome Authenticator::Authenticate(const Headers& metadata, std::string_view query) {
  // Each provider's token, where it looks for one; several may share a source, and then the
  // token's own (not yet verified) iss says whose it is.
  struct Candidate {
    size_t provider;
    std::string_view token;
  };
  std::string decoded[AuthConfig::kMaxProviders];
  Candidate candidates[AuthConfig::kMaxProviders];
  size_t found = 0;
  for (size_t i = 0; i < providers_.size(); ++i) {
    const std::string_view token = FindToken(providers_[i].source, metadata, query, &decoded[i]);
    if (!token.empty()) candidates[found++] = {i, token};
  }
  Candidate chosen = candidates[0];
  for (size_t i = 0; found > 1 && i < found; ++i) {
    if (UnverifiedIssuer(candidates[i].token) == providers_[candidates[i].provider].rules.issuer) {
      chosen = candidates[i];
      break;
    }
  }
  AuthOutcome outcome;
  if (found == 0) return outcome;
  const JwtProvider& provider = providers_[chosen.provider];
  const int64_t now = clock_();
  const std::string key = TokenCache::KeyOf(chosen.token);
  if (auto token = cache_.Find(key, chosen.provider, now)) {
    outcome.kind = AuthOutcome::Kind::kVerified;
    outcome.provider = &provider;
    outcome.token = std::move(token);
    return outcome;
  }
  std::shared_ptr<const KeySet> keys = provider.keys;
  if (provider.refresher != nullptr) {
    keys = provider.refresher->Keys();
    if (keys == nullptr) {
      outcome.kind = AuthOutcome::Kind::kRejected;
      outcome.reason = Rejection::kKeysUnavailable;
      outcome.message = "the signing keys of the token's issuer are not available yet";
      return outcome;
    }
  }
  signature_checks_.fetch_add(1, std::memory_order_relaxed);
  VerifyResult result = VerifyJwt(chosen.token, provider.rules, *keys, kept_claims_, now);
  if (!result.ok) {
    // Keys rotate: a kid the set lacks may be in the set the server has now. This call is
    // refused anyway (no event loop waits for a fetch); a later one finds the new key.
    if (result.reason == Rejection::kUnknownKid && provider.refresher != nullptr) {
      provider.refresher->RequestRefresh();
    }
    outcome.kind = AuthOutcome::Kind::kRejected;
    outcome.reason = result.reason;
    outcome.message = std::move(result.message);
    return outcome;
  }
  auto token = std::make_shared<const VerifiedToken>(std::move(result.token));
  cache_.Insert(key, {chosen.provider, token});
  outcome.kind = AuthOutcome::Kind::kVerified;
  outcome.provider = &provider;
  outcome.token = std::move(token);
  return outcome;
}

std::vector<std::string> TokenQueryParameters(const AuthConfig& config) {
  std::vector<std::string> names;
  for (const auto& provider : config.providers) {
    if (provider.source.kind == TokenSource::Kind::kQuery) names.push_back(provider.source.name);
  }
  return names;
}

bool OnlyTokenParameters(const AuthConfig& config, std::string_view query) {
  const std::vector<std::string> names = TokenQueryParameters(config);
  if (names.empty()) return query.empty();
  bool only_tokens = true;
  ForEachParameter(query, [&](std::string_view name, std::string_view) {
    bool known = false;
    for (const auto& token_name : names) known = known || name == token_name;
    only_tokens = only_tokens && known;
  });
  return only_tokens;
}

}  // namespace switchboard::gateway::auth
