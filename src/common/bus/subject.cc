#include "common/bus/subject.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard::bus {
namespace {

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

absl::Status ValidateSubject(absl::string_view subject, bool wildcards) {
  if (subject.empty() || subject.size() > kMaxSubjectBytes) {
    return absl::InvalidArgumentError(absl::StrCat("subject \"", subject, "\": ", subject.size(),
                                                   " bytes, must be 1..", kMaxSubjectBytes));
  }
  const std::vector<absl::string_view> tokens = absl::StrSplit(subject, '.');
  for (size_t i = 0; i < tokens.size(); ++i) {
    const absl::string_view token = tokens[i];
    if (wildcards && (token == "*" || (token == ">" && i + 1 == tokens.size()))) continue;
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("subject \"", subject, "\": empty token"));
    }
    for (char c : token) {
      if (!IsTokenChar(c)) {
        return absl::InvalidArgumentError(absl::StrCat("subject \"", subject, "\": token \"", token,
                                                       "\" has a character outside [A-Za-z0-9_-]"));
      }
    }
  }
  return absl::OkStatus();
}

bool SubjectMatches(absl::string_view pattern, absl::string_view subject) {
  const std::vector<absl::string_view> want = absl::StrSplit(pattern, '.');
  const std::vector<absl::string_view> have = absl::StrSplit(subject, '.');
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == ">") return i < have.size();  // one token or more
    if (i >= have.size()) return false;
    if (want[i] != "*" && want[i] != have[i]) return false;
  }
  return want.size() == have.size();
}

std::string SubjectToken(absl::string_view id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(id.size() * 2);
  for (unsigned char c : id) {
    token += kHex[c >> 4];
    token += kHex[c & 0xf];
  }
  return token;
}

}  // namespace switchboard::bus
