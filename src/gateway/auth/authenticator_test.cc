// The token sources, the choice between providers, and the cache of verified tokens (counted:
// a cached token costs no signature check), with an injected clock.
#include "gateway/auth/authenticator.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "gateway/auth/jwt_test_keys.h"

namespace switchboard::gateway::auth {
namespace {

using testing::Claims;
using testing::TestKey;

constexpr char kIssuer[] = "https://issuer.example.com";
constexpr char kAudience[] = "switchboard";

class AuthenticatorTest : public ::testing::Test {
 protected:
  JwtProvider Provider(const std::string& name, const std::string& issuer, const TestKey& key,
                       TokenSource source = {}) {
    JwtProvider provider;
    provider.name = name;
    provider.rules.issuer = issuer;
    provider.rules.audiences = {kAudience};
    provider.rules.clock_skew = std::chrono::seconds(0);
    provider.keys = std::make_shared<const KeySet>(*ParseJwks(testing::Jwks({&key})));
    provider.forward_claims = {{"sub", "x-user-id"}};
    provider.source = std::move(source);
    return provider;
  }
  std::unique_ptr<Authenticator> Make(std::vector<JwtProvider> providers, size_t cache = 100) {
    return std::make_unique<Authenticator>(std::move(providers), cache,
                                           std::set<std::string>{"tier"}, [this] { return now_; });
  }
  std::string Token(const std::string& subject, int64_t valid_for = 60) {
    return key_.Sign(Claims(kIssuer, kAudience, subject, now_ + valid_for));
  }
  static Headers Bearer(const std::string& token) { return {{"authorization", "Bearer " + token}}; }

  int64_t now_ = 1'800'000'000;
  TestKey key_{Algorithm::kEs256, "k1"};
};

TEST_F(AuthenticatorTest, ACachedTokenIsNotVerifiedAgain) {
  auto auth = Make({Provider("main", kIssuer, key_)});
  const std::string token = Token("alice");
  for (int i = 0; i < 5; ++i) {
    const AuthOutcome outcome = auth->Authenticate(Bearer(token), "");
    ASSERT_EQ(outcome.kind, AuthOutcome::Kind::kVerified) << outcome.message;
    EXPECT_EQ(outcome.token->claims.at("sub"), "alice");
  }
  EXPECT_EQ(auth->signature_checks(), 1u);
  EXPECT_EQ(auth->cached_tokens(), 1u);
  // A second token is a second check; the first is still cached.
  ASSERT_EQ(auth->Authenticate(Bearer(Token("bob")), "").kind, AuthOutcome::Kind::kVerified);
  ASSERT_EQ(auth->Authenticate(Bearer(token), "").kind, AuthOutcome::Kind::kVerified);
  EXPECT_EQ(auth->signature_checks(), 2u);
}

TEST_F(AuthenticatorTest, ACachedTokenStopsWorkingWhenItExpires) {
  auto auth = Make({Provider("main", kIssuer, key_)});
  const std::string token = Token("alice", 10);
  ASSERT_EQ(auth->Authenticate(Bearer(token), "").kind, AuthOutcome::Kind::kVerified);
  now_ += 9;
  ASSERT_EQ(auth->Authenticate(Bearer(token), "").kind, AuthOutcome::Kind::kVerified);
  EXPECT_EQ(auth->signature_checks(), 1u);
  now_ += 1;
  const AuthOutcome expired = auth->Authenticate(Bearer(token), "");
  EXPECT_EQ(expired.kind, AuthOutcome::Kind::kRejected);
  EXPECT_EQ(expired.reason, Rejection::kExpired);
  EXPECT_EQ(auth->cached_tokens(), 0u);
}

TEST_F(AuthenticatorTest, TheCacheIsBoundedInEntries) {
  auto auth = Make({Provider("main", kIssuer, key_)}, /*cache=*/3);
  std::vector<std::string> tokens;
  for (int i = 0; i < 10; ++i) tokens.push_back(Token(absl::StrCat("user-", i)));
  for (const auto& token : tokens) {
    ASSERT_EQ(auth->Authenticate(Bearer(token), "").kind, AuthOutcome::Kind::kVerified);
  }
  EXPECT_EQ(auth->cached_tokens(), 3u);
  EXPECT_EQ(auth->signature_checks(), 10u);
  // The most recent three are cached, the first was evicted.
  ASSERT_EQ(auth->Authenticate(Bearer(tokens[9]), "").kind, AuthOutcome::Kind::kVerified);
  EXPECT_EQ(auth->signature_checks(), 10u);
  ASSERT_EQ(auth->Authenticate(Bearer(tokens[0]), "").kind, AuthOutcome::Kind::kVerified);
  EXPECT_EQ(auth->signature_checks(), 11u);
}

TEST_F(AuthenticatorTest, ARefusedTokenIsNotCached) {
  auto auth = Make({Provider("main", kIssuer, key_)});
  const std::string token = key_.Sign(Claims(kIssuer, "other-audience", "alice", now_ + 60));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(auth->Authenticate(Bearer(token), "").reason, Rejection::kWrongAudience);
  }
  EXPECT_EQ(auth->signature_checks(), 3u);
  EXPECT_EQ(auth->cached_tokens(), 0u);
}

TEST_F(AuthenticatorTest, TokenSources) {
  auto bearer = Make({Provider("main", kIssuer, key_)});
  EXPECT_EQ(bearer->Authenticate({}, "").kind, AuthOutcome::Kind::kNoToken);
  EXPECT_EQ(bearer->Authenticate({{"authorization", "Basic YTpi"}}, "").kind,
            AuthOutcome::Kind::kNoToken);
  EXPECT_EQ(bearer->Authenticate({{"authorization", "bearer " + Token("a")}}, "").kind,
            AuthOutcome::Kind::kVerified);
  EXPECT_EQ(bearer->Authenticate({}, "access_token=" + Token("a")).kind,
            AuthOutcome::Kind::kNoToken);

  auto header = Make({Provider("main", kIssuer, key_, {TokenSource::Kind::kHeader, "x-token"})});
  EXPECT_EQ(header->Authenticate({{"x-token", Token("a")}}, "").kind, AuthOutcome::Kind::kVerified);
  EXPECT_EQ(header->Authenticate(Bearer(Token("a")), "").kind, AuthOutcome::Kind::kNoToken);

  auto query = Make({Provider("main", kIssuer, key_, {TokenSource::Kind::kQuery, "access_token"})});
  const AuthOutcome from_query = query->Authenticate({}, "room=1&access_token=" + Token("q"));
  ASSERT_EQ(from_query.kind, AuthOutcome::Kind::kVerified) << from_query.message;
  EXPECT_EQ(from_query.token->claims.at("sub"), "q");
  EXPECT_EQ(query->Authenticate({}, "access_token=%zz").kind, AuthOutcome::Kind::kNoToken);
}

TEST_F(AuthenticatorTest, ProvidersSharingASourceAreChosenByIssuer) {
  const TestKey other_key(Algorithm::kEdDsa, "k2");
  auto auth = Make({Provider("main", kIssuer, key_),
                    Provider("partner", "https://partner.example.com", other_key)});
  const std::string partner_token =
      other_key.Sign(Claims("https://partner.example.com", kAudience, "p", now_ + 60));
  const AuthOutcome outcome = auth->Authenticate(Bearer(partner_token), "");
  ASSERT_EQ(outcome.kind, AuthOutcome::Kind::kVerified) << outcome.message;
  EXPECT_EQ(outcome.provider->name, "partner");
  EXPECT_EQ(auth->Authenticate(Bearer(Token("m")), "").provider->name, "main");
  EXPECT_EQ(auth->forwarded_headers(), std::set<std::string>{"x-user-id"});
}

}  // namespace
}  // namespace switchboard::gateway::auth
