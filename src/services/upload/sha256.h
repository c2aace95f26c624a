// Incremental SHA-256 over OpenSSL's EVP interface, so a file is hashed as its chunks pass by
// without ever being held whole.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace switchboard::upload {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  // The lowercase hex digest of everything passed to Update; call once.
  absl::StatusOr<std::string> FinishHex();

 private:
  evp_md_ctx_st* context_;
  bool ok_ = false;
  bool finished_ = false;
};

}  // namespace switchboard::upload
