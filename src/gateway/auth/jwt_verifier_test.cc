// Every way a token fails, and the three algorithms that pass, with keys made by OpenSSL here.
#include "gateway/auth/jwt_verifier.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "gateway/auth/jwt_test_keys.h"

namespace switchboard::gateway::auth {
namespace {

using testing::Base64Url;
using testing::Claims;
using testing::TestKey;

constexpr int64_t kNow = 1'800'000'000;
constexpr char kIssuer[] = "https://issuer.example.com";
constexpr char kAudience[] = "switchboard";

class JwtVerifierTest : public ::testing::Test {
 protected:
  JwtVerifierTest() {
    auto parsed = ParseJwks(testing::Jwks({&rsa_, &ec_, &ed_}));
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    keys_ = std::move(*parsed);
    rules_.issuer = kIssuer;
    rules_.audiences = {kAudience};
    rules_.clock_skew = std::chrono::seconds(30);
  }
  VerifyResult Verify(const std::string& token) {
    return VerifyJwt(token, rules_, keys_, {"sub", "tier"}, kNow);
  }
  std::string Valid(const TestKey& key, const std::string& extra = "") {
    return key.Sign(Claims(kIssuer, kAudience, "alice", kNow + 60, extra));
  }

  TestKey rsa_{Algorithm::kRs256, "rsa-1"};
  TestKey ec_{Algorithm::kEs256, "ec-1"};
  TestKey ed_{Algorithm::kEdDsa, "ed-1"};
  KeySet keys_;
  TokenRules rules_;
};

TEST_F(JwtVerifierTest, AcceptsEachAlgorithmAndKeepsTheNamedClaims) {
  for (const TestKey* key : {&rsa_, &ec_, &ed_}) {
    const VerifyResult result = Verify(Valid(*key, "\"tier\":3,\"email\":\"a@x\""));
    ASSERT_TRUE(result.ok) << AlgorithmName(key->alg()) << ": " << result.message;
    EXPECT_EQ(result.token.claims.at("sub"), "alice");
    EXPECT_EQ(result.token.claims.at("tier"), "3");
    EXPECT_EQ(result.token.claims.count("email"), 0u);  // not asked for
    EXPECT_EQ(result.token.valid_until_unix, kNow + 60 + 30);
  }
}

TEST_F(JwtVerifierTest, AudienceMayBeAList) {
  const std::string token = rsa_.Sign(absl::StrCat(
      "{\"iss\":\"", kIssuer, "\",\"aud\":[\"other\",\"switchboard\"],\"exp\":", kNow + 60, "}"));
  EXPECT_TRUE(Verify(token).ok) << Verify(token).message;
}

TEST_F(JwtVerifierTest, EveryFailureModeIsRefusedWithItsReason) {
  const std::string valid = Valid(rsa_);
  const std::string payload =
      valid.substr(valid.find('.') + 1, valid.rfind('.') - valid.find('.') - 1);
  // Another key of the same kid: a good signature, but not by the key the set holds.
  const TestKey impostor(Algorithm::kRs256, "rsa-1");
  const std::string none_header = Base64Url(R"({"alg":"none","typ":"JWT"})");
  const std::string hs_header = Base64Url(R"({"alg":"HS256","kid":"rsa-1"})");
  const struct {
    const char* name;
    std::string token;
    Rejection reason;
  } cases[] = {
      {"bad signature", impostor.Sign(Claims(kIssuer, kAudience, "alice", kNow + 60)),
       Rejection::kBadSignature},
      {"tampered claims",
       absl::StrCat(valid.substr(0, valid.find('.') + 1),
                    Base64Url(Claims(kIssuer, kAudience, "mallory", kNow + 60)),
                    valid.substr(valid.rfind('.'))),
       Rejection::kBadSignature},
      {"expired", rsa_.Sign(Claims(kIssuer, kAudience, "alice", kNow - 31)), Rejection::kExpired},
      {"not yet valid",
       rsa_.Sign(
           Claims(kIssuer, kAudience, "alice", kNow + 600, absl::StrCat("\"nbf\":", kNow + 31))),
       Rejection::kNotYetValid},
      {"wrong issuer", rsa_.Sign(Claims("https://evil.example.com", kAudience, "alice", kNow + 60)),
       Rejection::kWrongIssuer},
      {"wrong audience", rsa_.Sign(Claims(kIssuer, "someone-else", "alice", kNow + 60)),
       Rejection::kWrongAudience},
      {"unknown kid",
       rsa_.Sign(Claims(kIssuer, kAudience, "alice", kNow + 60), R"({"alg":"RS256","kid":"nope"})"),
       Rejection::kUnknownKid},
      {"alg none", absl::StrCat(none_header, ".", payload, "."), Rejection::kBadAlgorithm},
      {"alg HS256", absl::StrCat(hs_header, ".", payload, ".c2lnbmF0dXJl"),
       Rejection::kBadAlgorithm},
      {"alg not the key's",
       ec_.Sign(Claims(kIssuer, kAudience, "alice", kNow + 60), R"({"alg":"ES256","kid":"rsa-1"})"),
       Rejection::kBadAlgorithm},
      {"no exp", rsa_.Sign(absl::StrCat("{\"iss\":\"", kIssuer, "\",\"aud\":\"", kAudience, "\"}")),
       Rejection::kMalformed},
      {"two parts", "abc.def", Rejection::kMalformed},
      {"not base64url", "a*b.c.d", Rejection::kMalformed},
      {"empty", "", Rejection::kMalformed},
      {"oversized", std::string(kMaxTokenBytes + 1, 'a'), Rejection::kMalformed},
      {"crit header",
       rsa_.Sign(Claims(kIssuer, kAudience, "alice", kNow + 60),
                 R"({"alg":"RS256","kid":"rsa-1","crit":["exp"]})"),
       Rejection::kMalformed},
  };
  for (const auto& c : cases) {
    const VerifyResult result = Verify(c.token);
    EXPECT_FALSE(result.ok) << c.name;
    EXPECT_EQ(RejectionLabel(result.reason), std::string(RejectionLabel(c.reason)))
        << c.name << ": " << result.message;
    EXPECT_FALSE(result.message.empty()) << c.name;
    if (c.token.size() > 20) EXPECT_EQ(result.message.find(c.token), std::string::npos) << c.name;
  }
}

TEST_F(JwtVerifierTest, ClockSkewIsAllowedBothWays) {
  EXPECT_TRUE(Verify(rsa_.Sign(Claims(kIssuer, kAudience, "alice", kNow - 29))).ok);
  EXPECT_TRUE(Verify(rsa_.Sign(Claims(kIssuer, kAudience, "alice", kNow + 600,
                                      absl::StrCat("\"nbf\":", kNow + 29))))
                  .ok);
}

TEST(Jwks, RefusesWhatItCannotUse) {
  const TestKey rsa(Algorithm::kRs256, "k");
  const struct {
    std::string json;
    std::string mentions;
  } cases[] = {
      {"[]", "not a JSON object"},
      {"{}", "no \"keys\" list"},
      {R"({"keys":[]})", "no RSA, P-256 or Ed25519 signing key"},
      {R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})", "no RSA, P-256 or Ed25519"},
      {R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})", "keys[0].n: 17 bits, below 2048"},
      {R"({"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}]})", "keys[0].crv"},
      {R"({"keys":[{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]})",
       "not a valid EC key"},
      {R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"!!"}]})", "keys[0].x: not base64url"},
      {testing::Jwks({&rsa, &rsa}), "\"k\" twice"},
      {R"({"keys":[{"kty":"RSA","alg":"HS256","n":"AQAB","e":"AQAB"}]})", "keys[0].n"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseJwks(c.json);
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_NE(parsed.status().message().find(c.mentions), std::string::npos)
        << c.json << " -> " << parsed.status();
  }
}

}  // namespace
}  // namespace switchboard::gateway::auth
