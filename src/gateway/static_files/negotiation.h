// The request headers a file answer depends on: If-None-Match against the file's ETag, and
// Accept-Encoding for gzip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::gateway::static_files {

// A strong validator from what changes when the file does: its size and modification time
// (nanoseconds), and the encoding, since the gzip bytes are another representation.
std::string MakeETag(uint64_t size, int64_t mtime_ns, bool gzip);

// If-None-Match (RFC 9110 13.1.2): "*" or a comma-separated list of entity tags, compared
// weakly (a W/ prefix ignored). True when `etag` is among them: the client's copy is current.
bool IfNoneMatchHits(std::string_view if_none_match, std::string_view etag);

// Accept-Encoding names gzip (or *) with a q-value above zero.
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace switchboard::gateway::static_files
