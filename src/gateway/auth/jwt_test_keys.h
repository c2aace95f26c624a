// Test helper: key pairs made by OpenSSL in the test (RSA 2048, P-256, Ed25519), their public
// halves as a JWKS, and tokens signed with them, well-formed or deliberately not.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/auth/jwks.h"

namespace switchboard::gateway::auth::testing {

std::string Base64Url(std::string_view bytes);

class TestKey {
 public:
  TestKey(Algorithm alg, std::string kid);
  Algorithm alg() const { return alg_; }
  const std::string& kid() const { return kid_; }
  // The public key as one JWK object.
  std::string Jwk() const;
  // A compact JWS of `claims_json` with this key; `header_json` replaces the default header
  // ({"alg": <its algorithm>, "kid": <its kid>, "typ": "JWT"}) when given.
  std::string Sign(const std::string& claims_json, const std::string& header_json = "") const;

 private:
  std::string SignBytes(std::string_view input) const;
  Algorithm alg_;
  std::string kid_;
  std::shared_ptr<EVP_PKEY> key_;
};

std::string Jwks(const std::vector<const TestKey*>& keys);

// {"iss": ..., "aud": ..., "sub": ..., "exp": now + valid_for} and `extra` members ("," joined).
std::string Claims(const std::string& issuer, const std::string& audience,
                   const std::string& subject, int64_t exp, const std::string& extra = "");

}  // namespace switchboard::gateway::auth::testing
