#include "gateway/static_files/request_path.h"

#include "absl/strings/str_cat.h"

namespace switchboard::gateway::static_files {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    const char c = segment[i];
    if (c == '\0') return absl::InvalidArgumentError("a NUL byte in the path");
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    const bool complete = i + 2 < segment.size();
    const int high = complete ? HexValue(segment[i + 1]) : -1;
    const int low = complete ? HexValue(segment[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed percent-escape in path segment at byte ", i));
    }
    const char decoded = static_cast<char>(high * 16 + low);
    if (decoded == '\0') return absl::InvalidArgumentError("a NUL byte (%00) in the path");
    out.push_back(decoded);
    i += 2;
  }
  return out;
}

}  // namespace

absl::StatusOr<RequestPath> ParseRequestPath(std::string_view target) {
  if (target.size() > kMaxTargetBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("path of ", target.size(), " bytes is longer than ", kMaxTargetBytes));
  }
  const size_t query = target.find_first_of("?#");
  const std::string_view path = query == std::string_view::npos ? target : target.substr(0, query);
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError("the path must start with /");
  }
  RequestPath parsed;
  parsed.trailing_slash = path.back() == '/';
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view raw = path.substr(start, end - start);
    start = end + 1;
    if (raw.empty()) continue;
    auto segment = PercentDecode(raw);
    if (!segment.ok()) return segment.status();
    if (*segment == ".") continue;
    if (segment->find('/') != std::string::npos || segment->find('\\') != std::string::npos) {
      return absl::NotFoundError("an encoded slash in a path segment");
    }
    if ((*segment)[0] == '.') {
      // ".." (a way out of the root) and hidden files (.git, .env) alike.
      return absl::NotFoundError("a path segment starting with a dot");
    }
    parsed.segments.push_back(*std::move(segment));
    if (parsed.segments.size() > kMaxSegments) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxSegments, " path segments"));
    }
  }
  return parsed;
}

}  // namespace switchboard::gateway::static_files
