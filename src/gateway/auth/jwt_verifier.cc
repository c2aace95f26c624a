#include "gateway/auth/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/auth/json_object.h"
#include "gateway/codec/headers.h"

namespace switchboard::gateway::auth {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// ES256's signature is r and s, 32 bytes each (RFC 7518 3.4); OpenSSL takes DER.
constexpr size_t kEs256SignatureBytes = 64;
// Claim values past this are not kept (a forwarded header or a rate-limit key needs no more).
constexpr size_t kMaxKeptClaimBytes = 1024;

VerifyResult Refuse(Rejection reason, std::string message) {
  VerifyResult result;
  result.reason = reason;
  result.message = std::move(message);
  return result;
}

struct Parts {
  std::string_view header, payload, signature;
};

bool Split(std::string_view token, Parts* parts) {
  const size_t first = token.find('.');
  if (first == std::string_view::npos) return false;
  const size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return false;
  }
  parts->header = token.substr(0, first);
  parts->payload = token.substr(first + 1, second - first - 1);
  parts->signature = token.substr(second + 1);
  return true;
}

absl::StatusOr<Struct> DecodeJsonPart(std::string_view part) {
  std::string json;
  if (!DecodeBase64Url(part, &json)) return absl::InvalidArgumentError("not base64url");
  return ParseJsonObject(json);
}

bool ParseAlgorithm(const std::string& name, Algorithm* alg) {
  if (name == "RS256") {
    *alg = Algorithm::kRs256;
  } else if (name == "ES256") {
    *alg = Algorithm::kEs256;
  } else if (name == "EdDSA") {
    *alg = Algorithm::kEdDsa;
  } else {
    return false;
  }
  return true;
}

// The JWS signature in the form EVP_DigestVerify takes: DER for ECDSA, as it is otherwise.
bool SignatureForOpenSsl(Algorithm alg, std::string raw, std::string* out) {
  if (alg != Algorithm::kEs256) {
    *out = std::move(raw);
    return true;
  }
  if (raw.size() != kEs256SignatureBytes) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(bytes, kEs256SignatureBytes / 2, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kEs256SignatureBytes / 2, kEs256SignatureBytes / 2, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (length <= 0) return false;
  out->assign(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return true;
}

bool SignatureMatches(const PublicKey& key, std::string_view signing_input,
                      const std::string& signature) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) return false;
  // Ed25519 hashes internally (pure EdDSA): no digest is named.
  const EVP_MD* digest = key.alg == Algorithm::kEdDsa ? nullptr : EVP_sha256();
  const bool ok =
      EVP_DigestVerifyInit(context, nullptr, digest, nullptr, key.key.get()) == 1 &&
      EVP_DigestVerify(
          context, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(context);
  return ok;
}

// A NumericDate claim (RFC 7519 2): a finite number of seconds.
bool NumericDate(const Struct& claims, const char* name, bool* present, int64_t* out) {
  auto it = claims.fields().find(name);
  *present = it != claims.fields().end();
  if (!*present) return true;
  if (!it->second.has_number_value() || !std::isfinite(it->second.number_value())) return false;
  const double value = it->second.number_value();
  // Beyond any date a token could mean; keeps the conversion defined.
  constexpr double kLimit = 1e15;
  if (value < -kLimit || value > kLimit) return false;
  *out = static_cast<int64_t>(std::floor(value));
  return true;
}

bool AudienceMatches(const Struct& claims, const std::vector<std::string>& audiences) {
  auto it = claims.fields().find("aud");
  if (it == claims.fields().end()) return false;
  auto accepted = [&](const std::string& aud) {
    for (const auto& wanted : audiences) {
      if (aud == wanted) return true;
    }
    return false;
  };
  if (it->second.has_string_value()) return accepted(it->second.string_value());
  if (!it->second.has_list_value()) return false;
  for (const Value& item : it->second.list_value().values()) {
    if (item.has_string_value() && accepted(item.string_value())) return true;
  }
  return false;
}

bool ClaimText(const Value& value, std::string* out) {
  if (value.has_string_value()) {
    *out = value.string_value();
  } else if (value.has_bool_value()) {
    *out = value.bool_value() ? "true" : "false";
  } else if (value.has_number_value() && std::isfinite(value.number_value())) {
    const double number = value.number_value();
    constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
    if (number == std::floor(number) && std::fabs(number) <= kExactIntegers) {
      *out = std::to_string(static_cast<int64_t>(number));
    } else {
      *out = absl::StrCat(number);
    }
  } else {
    return false;
  }
  return out->size() <= kMaxKeptClaimBytes && IsValidMetadataValue(*out);
}

}  // namespace

const char* RejectionLabel(Rejection reason) {
  switch (reason) {
    case Rejection::kMissing:
      return "missing";
    case Rejection::kMalformed:
      return "malformed";
    case Rejection::kBadAlgorithm:
      return "bad_algorithm";
    case Rejection::kUnknownKid:
      return "unknown_kid";
    case Rejection::kBadSignature:
      return "bad_signature";
    case Rejection::kExpired:
      return "expired";
    case Rejection::kNotYetValid:
      return "not_yet_valid";
    case Rejection::kWrongIssuer:
      return "wrong_issuer";
    case Rejection::kWrongAudience:
      return "wrong_audience";
    case Rejection::kKeysUnavailable:
      return "keys_unavailable";
  }
  return "unknown";
}

std::string UnverifiedIssuer(std::string_view token) {
  Parts parts;
  if (token.size() > kMaxTokenBytes || !Split(token, &parts)) return "";
  auto claims = DecodeJsonPart(parts.payload);
  if (!claims.ok()) return "";
  const std::string* issuer = StringMember(*claims, "iss");
  return issuer != nullptr ? *issuer : "";
}

VerifyResult VerifyJwt(std::string_view token, const TokenRules& rules, const KeySet& keys,
                       const std::set<std::string>& kept_claims, int64_t now_unix) {
  if (token.size() > kMaxTokenBytes) {
    return Refuse(Rejection::kMalformed, absl::StrCat("token of ", token.size(),
                                                      " bytes is larger than ", kMaxTokenBytes));
  }
  Parts parts;
  if (!Split(token, &parts)) {
    return Refuse(Rejection::kMalformed, "not a JWT (three base64url parts joined by dots)");
  }
  auto header = DecodeJsonPart(parts.header);
  if (!header.ok()) return Refuse(Rejection::kMalformed, "the JOSE header is not a JSON object");
  const std::string* alg_name = StringMember(*header, "alg");
  if (alg_name == nullptr) return Refuse(Rejection::kMalformed, "the JOSE header has no alg");
  Algorithm alg;
  if (!ParseAlgorithm(*alg_name, &alg)) {
    return Refuse(Rejection::kBadAlgorithm,
                  absl::StrCat("alg ", Quote(*alg_name), " is not accepted (RS256, ES256, EdDSA)"));
  }
  // RFC 7515 4.1.11: an extension the gateway does not implement must not be ignored.
  if (header->fields().count("crit") != 0) {
    return Refuse(Rejection::kMalformed, "the JOSE header has crit extensions");
  }
  const std::string* kid = StringMember(*header, "kid");
  const PublicKey* key = keys.Find(kid != nullptr ? *kid : std::string());
  if (key == nullptr) {
    return Refuse(Rejection::kUnknownKid,
                  kid != nullptr ? absl::StrCat("no key with kid ", Quote(*kid))
                                 : std::string("the token names no kid and no key is without one"));
  }
  if (key->alg != alg) {
    return Refuse(Rejection::kBadAlgorithm,
                  absl::StrCat("alg ", *alg_name, " does not match key ", Quote(key->kid), " (",
                               AlgorithmName(key->alg), ")"));
  }
  std::string raw_signature;
  std::string signature;
  if (!DecodeBase64Url(parts.signature, &raw_signature) ||
      !SignatureForOpenSsl(alg, std::move(raw_signature), &signature)) {
    return Refuse(Rejection::kBadSignature, "the signature is malformed");
  }
  const std::string_view signing_input =
      token.substr(0, parts.header.size() + 1 + parts.payload.size());
  if (!SignatureMatches(*key, signing_input, signature)) {
    return Refuse(Rejection::kBadSignature, "the signature does not verify");
  }
  // Only now is anything in the claims believed.
  auto claims = DecodeJsonPart(parts.payload);
  if (!claims.ok()) return Refuse(Rejection::kMalformed, "the claims are not a JSON object");
  const int64_t skew = rules.clock_skew.count();
  bool has_exp = false;
  int64_t exp = 0;
  if (!NumericDate(*claims, "exp", &has_exp, &exp)) {
    return Refuse(Rejection::kMalformed, "exp is not a number");
  }
  // A token without exp could not be cached for a bounded time, and would never stop working.
  if (!has_exp) return Refuse(Rejection::kMalformed, "the token has no exp");
  if (now_unix >= exp + skew) return Refuse(Rejection::kExpired, "the token has expired");
  bool has_nbf = false;
  int64_t nbf = 0;
  if (!NumericDate(*claims, "nbf", &has_nbf, &nbf)) {
    return Refuse(Rejection::kMalformed, "nbf is not a number");
  }
  if (has_nbf && now_unix + skew < nbf) {
    return Refuse(Rejection::kNotYetValid, "the token is not valid yet (nbf)");
  }
  const std::string* issuer = StringMember(*claims, "iss");
  if (issuer == nullptr || *issuer != rules.issuer) {
    return Refuse(Rejection::kWrongIssuer,
                  issuer == nullptr ? std::string("the token has no iss")
                                    : absl::StrCat("issuer ", Quote(*issuer), " is not accepted"));
  }
  if (!rules.audiences.empty() && !AudienceMatches(*claims, rules.audiences)) {
    return Refuse(Rejection::kWrongAudience, "the token is not for this audience (aud)");
  }
  VerifyResult result;
  result.ok = true;
  result.token.valid_until_unix = exp + skew;
  for (const std::string& name : kept_claims) {
    auto it = claims->fields().find(name);
    std::string text;
    if (it != claims->fields().end() && ClaimText(it->second, &text)) {
      result.token.claims.emplace(name, std::move(text));
    }
  }
  return result;
}

}  // namespace switchboard::gateway::auth
