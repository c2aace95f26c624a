#include "gateway/auth/jwt_test_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchboard::gateway::auth::testing {
namespace {

constexpr int kRsaBits = 2048;
constexpr size_t kP256CoordinateBytes = 32;

std::string BnBytes(const EVP_PKEY* key, const char* name, size_t width = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("no bn param");
  const size_t size = width != 0 ? width : static_cast<size_t>(BN_num_bytes(bn));
  std::string out(size, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size));
  BN_free(bn);
  return out;
}

}  // namespace

std::string Base64Url(std::string_view bytes) {
  return absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()));
}

TestKey::TestKey(Algorithm alg, std::string kid) : alg_(alg), kid_(std::move(kid)) {
  EVP_PKEY* key = nullptr;
  switch (alg) {
    case Algorithm::kRs256:
      key = EVP_RSA_gen(kRsaBits);
      break;
    case Algorithm::kEs256:
      key = EVP_EC_gen("P-256");
      break;
    case Algorithm::kEdDsa:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (key == nullptr) throw std::runtime_error("key generation failed");
  key_.reset(key, EVP_PKEY_free);
}

std::string TestKey::Jwk() const {
  const std::string kid = kid_.empty() ? "" : absl::StrCat(",\"kid\":\"", kid_, "\"");
  switch (alg_) {
    case Algorithm::kRs256:
      return absl::StrCat("{\"kty\":\"RSA\",\"use\":\"sig\"", kid, ",\"n\":\"",
                          Base64Url(BnBytes(key_.get(), OSSL_PKEY_PARAM_RSA_N)), "\",\"e\":\"",
                          Base64Url(BnBytes(key_.get(), OSSL_PKEY_PARAM_RSA_E)), "\"}");
    case Algorithm::kEs256:
      return absl::StrCat(
          "{\"kty\":\"EC\",\"crv\":\"P-256\"", kid, ",\"x\":\"",
          Base64Url(BnBytes(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateBytes)),
          "\",\"y\":\"",
          Base64Url(BnBytes(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateBytes)), "\"}");
    case Algorithm::kEdDsa: {
      std::string raw(32, '\0');
      size_t size = raw.size();
      EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()), &size);
      return absl::StrCat("{\"kty\":\"OKP\",\"crv\":\"Ed25519\"", kid, ",\"x\":\"", Base64Url(raw),
                          "\"}");
    }
  }
  return "{}";
}

std::string TestKey::SignBytes(std::string_view input) const {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const EVP_MD* digest = alg_ == Algorithm::kEdDsa ? nullptr : EVP_sha256();
  size_t size = 0;
  std::string signature;
  if (EVP_DigestSignInit(context, nullptr, digest, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(context, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    EVP_MD_CTX_free(context);
    throw std::runtime_error("sign failed");
  }
  signature.resize(size);
  EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &size,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  signature.resize(size);
  EVP_MD_CTX_free(context);
  if (alg_ != Algorithm::kEs256) return signature;
  // DER to JWS's r || s.
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  std::string raw(2 * kP256CoordinateBytes, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()),
               kP256CoordinateBytes);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig),
               reinterpret_cast<unsigned char*>(raw.data()) + kP256CoordinateBytes,
               kP256CoordinateBytes);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string TestKey::Sign(const std::string& claims_json, const std::string& header_json) const {
  const std::string header = header_json.empty()
                                 ? absl::StrCat("{\"alg\":\"", AlgorithmName(alg_), "\",\"kid\":\"",
                                                kid_, "\",\"typ\":\"JWT\"}")
                                 : header_json;
  const std::string input = absl::StrCat(Base64Url(header), ".", Base64Url(claims_json));
  return absl::StrCat(input, ".", Base64Url(SignBytes(input)));
}

std::string Jwks(const std::vector<const TestKey*>& keys) {
  std::vector<std::string> jwks;
  for (const TestKey* key : keys) jwks.push_back(key->Jwk());
  return absl::StrCat("{\"keys\":[", absl::StrJoin(jwks, ","), "]}");
}

std::string Claims(const std::string& issuer, const std::string& audience,
                   const std::string& subject, int64_t exp, const std::string& extra) {
  return absl::StrCat("{\"iss\":\"", issuer, "\",\"aud\":\"", audience, "\",\"sub\":\"", subject,
                      "\",\"exp\":", exp, extra.empty() ? "" : ",", extra, "}");
}

}  // namespace switchboard::gateway::auth::testing
