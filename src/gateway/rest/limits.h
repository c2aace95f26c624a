// The bounds of REST transcoding in one place: every size a client controls is capped here, and
// the gateway's configuration (limits:) fills this struct.
#pragma once

#include <cstddef>

namespace switchboard::gateway::rest {

struct RestLimits {
  // A request path (without the query string): bytes, and '/'-separated segments.
  size_t max_path_bytes = 8192;
  size_t max_path_segments = 128;
  // The query string (after '?'): bytes, and '&'-separated parameters.
  size_t max_query_bytes = 16384;
  size_t max_query_params = 128;
  // A request body. The HTTP server should refuse a larger one before buffering it (413); the
  // transcoder checks again so that no caller can forget.
  size_t max_body_bytes = 4 * 1024 * 1024;
  // Components of a dotted field path in a query parameter name ("a.b.c" has 3).
  size_t max_field_path_depth = 16;
  // Nesting of JSON the gateway scans itself (protobuf's JSON parser has its own limit of 100).
  size_t max_json_depth = 64;
};

}  // namespace switchboard::gateway::rest
