// Public keys from a JSON Web Key Set (RFC 7517): RSA (RFC 7518 6.3), EC P-256 (6.2) and
// Ed25519 (RFC 8037) keys as OpenSSL EVP_PKEYs, by key id, for the signature checks of
// jwt_verifier.h. Private members of a key are ignored; a key of any other type is skipped.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard::gateway::auth {

// The signature algorithms the gateway accepts (RFC 7518 3.1, RFC 8037 3.1). HS* (a shared
// secret the gateway would have to hold) and "none" are never accepted.
enum class Algorithm { kRs256, kEs256, kEdDsa };
const char* AlgorithmName(Algorithm alg);

struct PublicKey {
  std::string kid;
  Algorithm alg = Algorithm::kRs256;  // the one algorithm this key's type signs with
  std::shared_ptr<EVP_PKEY> key;
};

struct KeySet {
  // By kid; a key without a kid is stored under "" and matches a token without one.
  std::map<std::string, PublicKey, std::less<>> keys;
  const PublicKey* Find(std::string_view kid) const;
};

// A JWKS file is small (a handful of keys); a larger one is refused rather than parsed.
inline constexpr size_t kMaxJwksBytes = 1 << 20;
inline constexpr size_t kMaxJwksKeys = 64;
// An RSA modulus below this many bits is refused (RFC 7518 3.3 requires 2048).
inline constexpr int kMinRsaBits = 2048;

// Parses a JWKS document ({"keys": [...]}). Errors name the key by its index and the member
// that is wrong; a set with no usable key is an error too.
absl::StatusOr<KeySet> ParseJwks(std::string_view json);

// base64url without padding (RFC 7515 2), strictly: any other character is an error.
bool DecodeBase64Url(std::string_view text, std::string* out);

}  // namespace switchboard::gateway::auth
