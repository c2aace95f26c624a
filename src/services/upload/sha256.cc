#include "services/upload/sha256.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace switchboard::upload {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  ok_ = context_ != nullptr && EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) == 1;
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

void Sha256::Update(std::string_view data) {
  if (!ok_ || finished_ || data.empty()) return;
  ok_ = EVP_DigestUpdate(context_, data.data(), data.size()) == 1;
}

absl::StatusOr<std::string> Sha256::FinishHex() {
  if (finished_) return absl::FailedPreconditionError("sha256: digest already taken");
  finished_ = true;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!ok_ || EVP_DigestFinal_ex(context_, digest, &length) != 1) {
    return absl::InternalError("sha256: OpenSSL digest failed");
  }
  // BytesToHexString writes lowercase, the form the contract promises.
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace switchboard::upload
