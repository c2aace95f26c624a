// A server stream whose google.api.http response_body names a bytes field (a file download)
// is answered with those bytes raw, not as NDJSON lines: the pieces that takes, pure. A Range
// request becomes the request's `offset` and `limit` fields, so the backend seeks rather than
// reading bytes nobody asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "route_table.h"

namespace switchboard::gateway::rest {

// The request fields a Range is sent in, and the response field that carries the whole size.
inline constexpr char kOffsetField[] = "offset";
inline constexpr char kLimitField[] = "limit";
inline constexpr char kTotalBytesField[] = "total_bytes";

// Whether `route` streams its response_body bytes field raw.
bool StreamsRawBody(const Route& route);
// Whether its request message takes a Range (int64 `offset` and `limit` fields).
bool AcceptsByteRange(const Route& route);

// One range "bytes=first-last" or "bytes=first-" (last: nullopt, to the end).
struct ByteRange {
  int64_t first = 0;
  std::optional<int64_t> last;
};
// The single range a Range header asks for; nullopt for anything else (several ranges, a
// suffix range, another unit, malformed), which a server may answer with the whole body.
std::optional<ByteRange> ParseRangeHeader(std::string_view value);
// The query parameters that ask the backend for `range`: "offset=A" and "limit=N".
std::string RangeQuery(const ByteRange& range);

// What one message of such a stream carries.
struct RawChunk {
  std::string data;
  int64_t total_bytes = -1;  // the whole size when the message says it, else -1
};
// Reads the response_body field (and total_bytes) straight from the wire format: no message
// is built. INTERNAL for bytes that are not a message.
absl::StatusOr<RawChunk> ReadRawChunk(const Route& route, std::string_view binary);

}  // namespace switchboard::gateway::rest
