// HTTP header lists as every part of the gateway passes them (codecs, translations, the proxy),
// and the small, case-insensitive look-ups and classifications they share.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::gateway {

// Name/value pairs in arrival order. Names may be in any case on input (HTTP/1.1); HTTP/2's
// are lowercase, and so is every list the gateway produces.
using Headers = std::vector<std::pair<std::string, std::string>>;

// An HTTP response's status line and headers (no pseudo-headers in `headers`).
struct ResponseHead {
  int status = 200;
  Headers headers;
};

// A native response's header block as a head: ":status" as the status, the rest in order.
ResponseHead ResponseHeadOf(const Headers& http2_headers);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view text);
// Drops leading and trailing spaces and tabs (HTTP's OWS).
std::string_view TrimOws(std::string_view text);

// The first header named `name` (compared case-insensitively, so it serves HTTP/1.1's lists
// and HTTP/2's alike), or nullptr.
const std::string* FindHeader(const Headers& headers, std::string_view name);

// gRPC's Header-Name (PROTOCOL-HTTP2.md): 1*( 0-9 / a-z / "_" / "-" / "." ), lowercase only.
bool IsValidMetadataName(std::string_view name);
// gRPC's ASCII-Value: 1*( %x20-%x7E ). Binary (-bin) values are base64, also in this range.
bool IsValidMetadataValue(std::string_view value);
// Connection-specific headers (RFC 9113 §8.2.2): malformed in any HTTP/2 message, never
// passed from one hop to the next.
bool IsConnectionSpecificHeader(std::string_view lowercase_name);
// Headers that describe one HTTP hop, never forwarded (RFC 9110 §7.6.1): the connection-specific
// ones, plus `te` (which gRPC sets itself on the upstream hop), `trailer` and `http2-settings`.
bool IsHopByHopHeader(std::string_view lowercase_name);
// The header names listed in the Connection headers of `headers`, lowercase (RFC 9110
// §7.6.1: those name further hop-by-hop headers). Usually empty.
std::vector<std::string> ConnectionTokens(const Headers& headers);
// Whether a header is dropped at a hop: hop-by-hop or named by Connection.
bool IsHopHeader(std::string_view lowercase_name, const std::vector<std::string>& connection);

// `text` in double quotes for an error message: printable ASCII kept, other bytes as \xNN,
// cut to kMaxQuotedBytes so a hostile value cannot grow a message (or a grpc-message header).
std::string Quote(std::string_view text);
inline constexpr size_t kMaxQuotedBytes = 128;

// Header-list size as HTTP/2's SETTINGS_MAX_HEADER_LIST_SIZE counts it: name + value + 32 for
// each field.
size_t HeaderListBytes(const Headers& headers);
inline constexpr size_t kHeaderFieldOverheadBytes = 32;

}  // namespace switchboard::gateway
