#include "services/ticket/event_page_token.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard::ticket {
namespace {

absl::Status BadPageToken() {
  return absl::InvalidArgumentError(
      "page_token: not a next_page_token returned by an earlier ListEvents call");
}

}  // namespace

std::string EncodePageToken(const v1::Event& last) {
  return absl::WebSafeBase64Escape(absl::StrCat(last.starts_at().seconds(), "|", last.id()));
}

absl::StatusOr<EventPageCursor> DecodePageToken(const std::string& token) {
  EventPageCursor cursor;
  if (token.empty()) return cursor;
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(token, &decoded)) return BadPageToken();
  std::vector<std::string> parts = absl::StrSplit(decoded, absl::MaxSplits('|', 1));
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &cursor.after_start)) {
    return BadPageToken();
  }
  cursor.after_id = parts[1];
  return cursor;
}

absl::StatusOr<int> PageLimit(int page_size, int default_size, int max_size) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", page_size, " is negative (use 0 for the default)"));
  }
  return page_size == 0 ? default_size : std::min(page_size, max_size);
}

}  // namespace switchboard::ticket
