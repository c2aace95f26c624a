// NATS-style subjects: checking them, matching them against wildcards, and turning an
// arbitrary id (a user id) into one safe token.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace switchboard::bus {

inline constexpr size_t kMaxSubjectBytes = 256;

// Non-empty tokens of [A-Za-z0-9_-] separated by '.', at most kMaxSubjectBytes; with
// `wildcards`, a token may also be `*`, and the last one `>`.
absl::Status ValidateSubject(absl::string_view subject, bool wildcards);
// True when `subject` (no wildcards) is matched by `pattern`.
bool SubjectMatches(absl::string_view pattern, absl::string_view subject);
// Lower-case hex of the bytes: any id becomes one token, and distinct ids stay distinct.
std::string SubjectToken(absl::string_view id);

}  // namespace switchboard::bus
