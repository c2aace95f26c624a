#include "xds/ca/join_token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "xds/ca/openssl_pem.h"

namespace switchboard::xds::ca {
namespace {

// Room for the token and the whitespace an editor adds around it.
constexpr size_t kMaxJoinTokenFileBytes = kMaxJoinTokenLength + 64;

absl::Status CheckToken(const std::string& token, const std::string& where) {
  if (token.size() < kMinJoinTokenLength || token.size() > kMaxJoinTokenLength) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": a join token of ", token.size(),
                                                   " characters (", kMinJoinTokenLength, "..",
                                                   kMaxJoinTokenLength, ")"));
  }
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": the join token has a character that is not printable ASCII at ", i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadJoinTokenFile(const std::filesystem::path& path) {
  auto text = ReadSmallFile(path, kMaxJoinTokenFileBytes);
  if (!text.ok()) return text.status();
  std::string token(absl::StripAsciiWhitespace(*text));
  if (auto s = CheckToken(token, path.string()); !s.ok()) return s;
  return token;
}

absl::StatusOr<std::string> LoadOrCreateJoinToken(const std::filesystem::path& dir) {
  const auto path = JoinTokenPath(dir);
  if (std::filesystem::exists(path)) return ReadJoinTokenFile(path);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot make ", dir.string(), ": ", error.message()));
  }
  unsigned char random[kJoinTokenRandomBytes];
  if (RAND_bytes(random, sizeof(random)) != 1) return OpenSslError("making a join token");
  const std::string token =
      absl::BytesToHexString(std::string(reinterpret_cast<const char*>(random), sizeof(random)));
  if (auto s = WriteFileAtomically(path, token + "\n", 0600); !s.ok()) return s;
  return token;
}

bool JoinTokenMatches(const std::string& offered, const std::string& expected) {
  unsigned char a[SHA256_DIGEST_LENGTH];
  unsigned char b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(offered.data()), offered.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(expected.data()), expected.size(), b);
  return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

}  // namespace switchboard::xds::ca
