#include "gateway/static_files/negotiation.h"

#include <cstdlib>
#include <vector>

#include "absl/strings/str_format.h"
#include "gateway/codec/headers.h"

namespace switchboard::gateway::static_files {
namespace {

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string_view WithoutWeakPrefix(std::string_view tag) {
  return tag.substr(0, 2) == "W/" ? tag.substr(2) : tag;
}

// A q-value ("0", "0.5", "1.000"); anything else counts as 0, refusing rather than guessing.
double ParseQ(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return 0;
  const std::string copy(text);
  char* end = nullptr;
  const double q = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() ? q : 0;
}

}  // namespace

std::string MakeETag(uint64_t size, int64_t mtime_ns, bool gzip) {
  return absl::StrFormat("\"%x-%x%s\"", size, static_cast<uint64_t>(mtime_ns), gzip ? "-gz" : "");
}

bool IfNoneMatchHits(std::string_view if_none_match, std::string_view etag) {
  const std::string_view bare_etag = WithoutWeakPrefix(etag);
  for (std::string_view tag : Split(if_none_match, ',')) {
    tag = TrimOws(tag);
    if (tag == "*") return true;
    if (WithoutWeakPrefix(tag) == bare_etag) return true;
  }
  return false;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  // An explicit gzip entry decides; "*" only stands for codings not named.
  int gzip = -1;
  int any = -1;
  for (std::string_view item : Split(accept_encoding, ',')) {
    const std::vector<std::string_view> parts = Split(item, ';');
    const std::string coding = ToLower(TrimOws(parts[0]));
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string param = ToLower(TrimOws(parts[i]));
      if (param.substr(0, 2) == "q=") q = ParseQ(std::string_view(param).substr(2));
    }
    (coding == "*" ? any : gzip) = q > 0 ? 1 : 0;
  }
  return gzip >= 0 ? gzip == 1 : any == 1;
}

}  // namespace switchboard::gateway::static_files
