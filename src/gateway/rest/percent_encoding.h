// Percent-decoding of URL paths and query strings (RFC 3986), strict: a malformed escape is an
// error rather than passed through, because the decoded text becomes a field of a request.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchboard::gateway::rest {

enum class PercentDecodeMode {
  // Every escape decoded: a single path segment, or a query parameter name or value without '+'.
  kAll,
  // Every escape decoded except "%2F"/"%2f", left as they are: a variable spanning several path
  // segments (google/api/http.proto), where a decoded '/' would be mistaken for a separator.
  kKeepEncodedSlash,
  // As kAll, and '+' is a space (application/x-www-form-urlencoded): query strings.
  kForm,
};

// The decoded text, or nullopt when `in` holds a '%' not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view in, PercentDecodeMode mode);

// True when every '%' in `in` starts a valid escape.
bool HasValidPercentEscapes(std::string_view in);

}  // namespace switchboard::gateway::rest
