#include "gateway/auth/jwks.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/auth/json_object.h"

namespace switchboard::gateway::auth {
namespace {

using google::protobuf::Struct;

// Coordinates of a P-256 point and an Ed25519 public key, in bytes.
constexpr size_t kP256CoordinateBytes = 32;
constexpr size_t kEd25519KeyBytes = 32;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

absl::StatusOr<std::string> Member(const Struct& jwk, const std::string& where, const char* name) {
  const std::string* text = StringMember(jwk, name);
  if (text == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(where, ".", name, ": missing"));
  std::string bytes;
  if (!DecodeBase64Url(*text, &bytes) || bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", name, ": not base64url"));
  }
  return bytes;
}

// EVP_PKEY_fromdata over `params`, for public keys of `type` ("RSA", "EC").
absl::StatusOr<std::shared_ptr<EVP_PKEY>> FromData(const char* type, OSSL_PARAM_BLD* build,
                                                   const std::string& where) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  const bool built = params != nullptr && context != nullptr &&
                     EVP_PKEY_fromdata_init(context) == 1 &&
                     EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(context);
  OSSL_PARAM_free(params);
  if (!built)
    return absl::InvalidArgumentError(absl::StrCat(where, ": not a valid ", type, " key"));
  return Own(key);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> RsaKey(const Struct& jwk, const std::string& where) {
  auto n = Member(jwk, where, "n");
  if (!n.ok()) return n.status();
  auto e = Member(jwk, where, "e");
  if (!e.ok()) return e.status();
  std::unique_ptr<BIGNUM, decltype(&BN_free)> modulus(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()),
                nullptr),
      BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> exponent(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()),
                nullptr),
      BN_free);
  if (!modulus || !exponent) return absl::InternalError("out of memory");
  if (BN_num_bits(modulus.get()) < kMinRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".n: ", BN_num_bits(modulus.get()), " bits, below ", kMinRsaBits));
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
  if (!build || !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) ||
      !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get())) {
    return absl::InternalError("out of memory");
  }
  return FromData("RSA", build.get(), where);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> P256Key(const Struct& jwk, const std::string& where) {
  const std::string* curve = StringMember(jwk, "crv");
  if (curve == nullptr || *curve != "P-256") {
    return absl::InvalidArgumentError(absl::StrCat(where, ".crv: only P-256 (ES256) is accepted"));
  }
  auto x = Member(jwk, where, "x");
  if (!x.ok()) return x.status();
  auto y = Member(jwk, where, "y");
  if (!y.ok()) return y.status();
  if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": x and y must be 32 bytes each"));
  }
  // The uncompressed point encoding (SEC 1 2.3.3): 0x04, x, y.
  const std::string point = absl::StrCat("\x04", *x, *y);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
  if (!build ||
      !OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return absl::InternalError("out of memory");
  }
  return FromData("EC", build.get(), where);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> Ed25519Key(const Struct& jwk, const std::string& where) {
  const std::string* curve = StringMember(jwk, "crv");
  if (curve == nullptr || *curve != "Ed25519") {
    return absl::InvalidArgumentError(absl::StrCat(where, ".crv: only Ed25519 is accepted"));
  }
  auto x = Member(jwk, where, "x");
  if (!x.ok()) return x.status();
  if (x->size() != kEd25519KeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".x: must be 32 bytes"));
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (key == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(where, ": not an Ed25519 key"));
  return Own(key);
}

}  // namespace

const char* AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRs256:
      return "RS256";
    case Algorithm::kEs256:
      return "ES256";
    case Algorithm::kEdDsa:
      return "EdDSA";
  }
  return "?";
}

const PublicKey* KeySet::Find(std::string_view kid) const {
  auto it = keys.find(kid);
  return it == keys.end() ? nullptr : &it->second;
}

bool DecodeBase64Url(std::string_view text, std::string* out) {
  for (char c : text) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!allowed) return false;
  }
  // A length of 1 mod 4 is no whole number of bytes.
  if (text.size() % 4 == 1) return false;
  return absl::WebSafeBase64Unescape(absl::string_view(text.data(), text.size()), out);
}

absl::StatusOr<KeySet> ParseJwks(std::string_view json) {
  if (json.size() > kMaxJwksBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWKS of ", json.size(), " bytes is larger than ", kMaxJwksBytes));
  }
  auto document = ParseJsonObject(json);
  if (!document.ok())
    return absl::InvalidArgumentError(absl::StrCat("JWKS: ", document.status().message()));
  auto keys = document->fields().find("keys");
  if (keys == document->fields().end() || !keys->second.has_list_value()) {
    return absl::InvalidArgumentError("JWKS: no \"keys\" list");
  }
  const auto& list = keys->second.list_value().values();
  if (static_cast<size_t>(list.size()) > kMaxJwksKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWKS: ", list.size(), " keys, more than ", kMaxJwksKeys));
  }
  KeySet set;
  for (int i = 0; i < list.size(); ++i) {
    const std::string where = absl::StrCat("JWKS keys[", i, "]");
    if (!list[i].has_struct_value()) return absl::InvalidArgumentError(where + ": not an object");
    const Struct& jwk = list[i].struct_value();
    const std::string* use = StringMember(jwk, "use");
    if (use != nullptr && *use != "sig") continue;  // an encryption key: not for tokens
    const std::string* type = StringMember(jwk, "kty");
    if (type == nullptr) return absl::InvalidArgumentError(where + ".kty: missing");
    PublicKey key;
    if (const std::string* kid = StringMember(jwk, "kid")) key.kid = *kid;
    absl::StatusOr<std::shared_ptr<EVP_PKEY>> built;
    if (*type == "RSA") {
      key.alg = Algorithm::kRs256;
      built = RsaKey(jwk, where);
    } else if (*type == "EC") {
      key.alg = Algorithm::kEs256;
      built = P256Key(jwk, where);
    } else if (*type == "OKP") {
      key.alg = Algorithm::kEdDsa;
      built = Ed25519Key(jwk, where);
    } else {
      continue;  // "oct" (HS*, a shared secret) and types to come: never used here
    }
    if (!built.ok()) return built.status();
    // A key that names its algorithm must name the one its type is used with here.
    if (const std::string* alg = StringMember(jwk, "alg");
        alg != nullptr && *alg != AlgorithmName(key.alg)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".alg: \"", *alg, "\" with kty ", *type,
                                                     " (accepted: ", AlgorithmName(key.alg), ")"));
    }
    key.key = std::move(*built);
    if (set.keys.count(key.kid) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".kid: \"", key.kid, "\" twice"));
    }
    std::string kid = key.kid;
    set.keys.emplace(std::move(kid), std::move(key));
  }
  if (set.keys.empty())
    return absl::InvalidArgumentError("JWKS: no RSA, P-256 or Ed25519 signing key");
  return set;
}

}  // namespace switchboard::gateway::auth
