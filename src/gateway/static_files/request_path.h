// A request target as a path below the served directory: query dropped, each segment
// percent-decoded, and anything that could reach outside the directory refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchboard::gateway::static_files {

// Beyond these a target is no file of a web app: refused before any file system call.
inline constexpr size_t kMaxTargetBytes = 4096;
inline constexpr size_t kMaxSegments = 32;

struct RequestPath {
  // Decoded segments, none empty, ".", ".." or starting with a dot.
  std::vector<std::string> segments;
  // The target named a directory ("/" or a path ending in "/").
  bool trailing_slash = false;
};

// INVALID_ARGUMENT (400) for a target that is not an absolute path, a malformed or NUL
// percent-escape, or one over the limits; NOT_FOUND for a segment that is ".." or a hidden
// name (".git"), or that decodes to one holding a "/": no file is served for those.
absl::StatusOr<RequestPath> ParseRequestPath(std::string_view target);

}  // namespace switchboard::gateway::static_files
