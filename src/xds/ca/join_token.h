// The join token a workload shows to get a certificate: a random secret the control plane
// writes to its data directory at first start (readable by its owner only), or the operator's
// own from a file. Compared in constant time.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace switchboard::xds::ca {

inline constexpr size_t kJoinTokenRandomBytes = 32;  // written as 64 hex digits
inline constexpr size_t kMinJoinTokenLength = 16;
inline constexpr size_t kMaxJoinTokenLength = 1024;

// `dir`/join-token, made (mode 0600) with a new random token when missing.
absl::StatusOr<std::string> LoadOrCreateJoinToken(const std::filesystem::path& dir);
// The token in `path` (an operator's), without surrounding whitespace; InvalidArgument naming
// the file when it is shorter than kMinJoinTokenLength, longer than kMaxJoinTokenLength or has
// a character that is not printable ASCII.
absl::StatusOr<std::string> ReadJoinTokenFile(const std::filesystem::path& path);
// True when `offered` is `expected`; the time taken does not depend on where they differ, nor
// on their lengths (both are hashed first).
bool JoinTokenMatches(const std::string& offered, const std::string& expected);

inline std::filesystem::path JoinTokenPath(const std::filesystem::path& dir) {
  return dir / "join-token";
}

}  // namespace switchboard::xds::ca
