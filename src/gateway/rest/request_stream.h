// A streamed REST request body for client-streaming methods, cut into request messages as it
// arrives: NDJSON lines, or raw bytes in chunks of a bytes field. Pure: no I/O.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "path_template.h"
#include "route_table.h"
#include "transcoder.h"

namespace switchboard::gateway::rest {

// Bytes of a raw body per request message: large enough that framing costs nothing, small
// enough that one message never approaches a backend's message size limit.
inline constexpr size_t kRawChunkBytes = 64 * 1024;

enum class StreamedBodyKind {
  kNdjson,  // application/x-ndjson, application/jsonl: one JSON message per line
  kRaw,     // application/octet-stream, or a PUT without Content-Type (curl -T): bytes chunks
};

// The streamed body a request to `route` carries, from its HTTP method and Content-Type
// (nullptr when absent); nullopt for a route that does not stream its requests or for an
// ordinary JSON body (which stays one buffered message).
std::optional<StreamedBodyKind> StreamedBodyKindOf(const Route& route, std::string_view http_method,
                                                   const std::string* content_type);

// The bytes field a raw body fills (the body field, or with body "*" the message's only bytes
// field), or why the route takes no raw body (INVALID_ARGUMENT with HTTP status 415).
absl::StatusOr<const google::protobuf::FieldDescriptor*> RawBodyField(const Route& route);

// Turns the body of one request into gRPC frames (AppendFrame) of the route's request messages.
// Path variables and query parameters fill the FIRST message only: they describe the stream
// (file_name of an upload), and later messages carry just their line or chunk.
//  - kNdjson: each line is one message, as a unary body would be for the route (body "*": the
//    whole message; body "field": that field's value). Blank lines are skipped; a trailing '\r'
//    is dropped. A bad line fails with INVALID_ARGUMENT "line N: ...".
//  - kRaw: the bytes fill the route's body field when it is a bytes field, else with body "*"
//    the request message's only top-level bytes field; kRawChunkBytes per message (fewer when
//    max_message_bytes is smaller). An empty body still sends one message (the query fields).
class RequestStream {
 public:
  // 415 (errors.h) when a raw body has no bytes field to fill; the transcoder's errors for bad
  // query parameters or path bindings. `transcoder` and `route` must outlive the stream.
  static absl::StatusOr<std::unique_ptr<RequestStream>> Create(
      const Transcoder& transcoder, const Route& route, std::vector<PathBinding> bindings,
      std::string_view query, StreamedBodyKind kind, size_t max_message_bytes);
  virtual ~RequestStream() = default;

  // Appends the frames of the messages completed by `data` to `*frames`.
  virtual absl::Status Feed(std::string_view data, std::string* frames) = 0;
  // The body ended: the frames of what is left.
  virtual absl::Status Finish(std::string* frames) = 0;
  // Messages produced so far.
  size_t messages() const { return messages_; }

 protected:
  size_t messages_ = 0;
};

}  // namespace switchboard::gateway::rest
