// A token as a client sends it (Authorization: Bearer, a header or a query parameter), verified
// against a fixed JWKS with one P-256 key (auth/jwt_verifier.h). Checked: a token accepted is
// the one well-formed shape (three dot-separated parts) and valid at the time given; a refusal's
// message never repeats the token; UnverifiedIssuer never throws or reads past the input.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "gateway/auth/jwks.h"
#include "gateway/auth/jwt_verifier.h"

namespace switchboard::gateway::auth {
namespace {

// The key of fuzz/corpus/jwt/es256_valid's signature.
constexpr std::string_view kJwks =
    R"({"keys":[{"kty":"EC","crv":"P-256","kid":"fuzz","use":"sig","alg":"ES256",)"
    R"("x":"wuT2eSKyQaRf_N4ICQCjwCz9ppDYfnDYZk1xj4icaWg","y":"I79RCr7ApakRHBgquDoTQQqB5WygpmGmOWmNLILPEB0"}]})";
constexpr size_t kLongerThanAnyMessageText = 200;
// Inside the seed token's exp (2100-01-01) and after its nbf.
constexpr int64_t kNow = 1800000000;

const KeySet& Keys() {
  static const KeySet* keys = [] {
    auto parsed = ParseJwks(kJwks);
    if (!parsed.ok()) std::abort();  // the fixed key set is part of the target
    return new KeySet(std::move(*parsed));
  }();
  return *keys;
}

}  // namespace
}  // namespace switchboard::gateway::auth

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway::auth;
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  (void)UnverifiedIssuer(token);
  TokenRules rules;
  rules.issuer = "https://issuer.example";
  rules.audiences = {"switchboard"};
  const std::set<std::string> kept = {"sub", "email"};
  const VerifyResult result = VerifyJwt(token, rules, Keys(), kept, kNow);
  if (result.ok) {
    size_t dots = 0;
    for (char c : token) dots += c == '.';
    SB_FUZZ_CHECK(dots == 2);
    SB_FUZZ_CHECK(result.token.valid_until_unix >= kNow);
  } else if (token.size() >= kLongerThanAnyMessageText) {
    // Shorter inputs may well be words of the fixed messages themselves.
    SB_FUZZ_CHECK(result.message.find(token) == std::string::npos);
  }
  return 0;
}
