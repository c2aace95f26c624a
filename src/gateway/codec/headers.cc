#include "gateway/codec/headers.h"

#include <cstdlib>

#include "gateway/codec/hex.h"

namespace switchboard::gateway {
namespace {

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsOws(char c) { return c == ' ' || c == '\t'; }

}  // namespace

ResponseHead ResponseHeadOf(const Headers& http2_headers) {
  ResponseHead head;
  head.headers.reserve(http2_headers.size() + 1);
  for (const auto& [name, value] : http2_headers) {
    if (name == ":status") {
      head.status = std::atoi(value.c_str());
    } else {
      head.headers.emplace_back(name, value);
    }
  }
  return head;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && IsOws(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsOws(text.back())) text.remove_suffix(1);
  return text;
}

const std::string* FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

bool IsValidMetadataName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool IsValidMetadataValue(std::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsConnectionSpecificHeader(std::string_view lowercase_name) {
  static constexpr std::string_view kConnectionSpecific[] = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"};
  for (std::string_view name : kConnectionSpecific) {
    if (lowercase_name == name) return true;
  }
  return false;
}

bool IsHopByHopHeader(std::string_view lowercase_name) {
  return IsConnectionSpecificHeader(lowercase_name) || lowercase_name == "te" ||
         lowercase_name == "trailer" || lowercase_name == "http2-settings";
}

std::vector<std::string> ConnectionTokens(const Headers& headers) {
  std::vector<std::string> tokens;
  for (const auto& [key, value] : headers) {
    if (!EqualsIgnoreCase(key, "connection")) continue;
    std::string_view rest = value;
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view token = TrimOws(rest.substr(0, comma));
      if (!token.empty()) tokens.push_back(ToLower(token));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return tokens;
}

bool IsHopHeader(std::string_view lowercase_name, const std::vector<std::string>& connection) {
  if (IsHopByHopHeader(lowercase_name)) return true;
  for (const std::string& token : connection) {
    if (token == lowercase_name) return true;
  }
  return false;
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  const size_t shown = text.size() < kMaxQuotedBytes ? text.size() : kMaxQuotedBytes;
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kLowerHexDigits[c >> 4]);
      out.push_back(kLowerHexDigits[c & 0xf]);
    }
  }
  if (shown < text.size()) out += "...";
  out.push_back('"');
  return out;
}

size_t HeaderListBytes(const Headers& headers) {
  size_t total = 0;
  for (const auto& [key, value] : headers) {
    total += key.size() + value.size() + kHeaderFieldOverheadBytes;
  }
  return total;
}

}  // namespace switchboard::gateway
