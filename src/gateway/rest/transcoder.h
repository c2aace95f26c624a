// REST <-> gRPC message transcoding for one route (google/api/http.proto, proto3 JSON mapping):
// the request message from path bindings, query parameters and a JSON body, as protobuf binary;
// the response message as JSON, or as one NDJSON line or SSE event of a stream. Pure: no I/O.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/type_resolver.h"
#include "limits.h"
#include "path_template.h"
#include "route_table.h"

namespace switchboard::gateway::rest {

struct TranscoderOptions {
  RestLimits limits;
  // Query parameters the gateway consumes itself (an access token, a cache buster): skipped rather
  // than refused as naming no field.
  std::vector<std::string> ignored_query_parameters;
};

// Thread-safe: every method is const and the pool, the message factory and the type resolver
// are safe to share.
class Transcoder {
 public:
  // `pool` must be the one the routes come from, and outlive the transcoder.
  explicit Transcoder(const google::protobuf::DescriptorPool* pool, TranscoderOptions options = {});
  ~Transcoder();
  Transcoder(const Transcoder&) = delete;
  Transcoder& operator=(const Transcoder&) = delete;

  // The request message of `route` (method->input_type()), serialized: frame it with AppendFrame.
  //  - `bindings`: from RouteTable::Lookup; each sets the field its path names.
  //  - `query`: the raw query string, no '?'. Names are field paths, proto or lowerCamelCase
  //    ("pageSize", "page_size", "filter.minSeats"); values are percent-decoded, '+' is a space; a
  //    repeated field takes repeated keys. Refused when the route's body is "*" (every field
  //    then comes from the path or the body) or when a name reaches into the body field.
  //  - `body`: JSON. Body "*": the whole message; body "field": that field's JSON value; no body:
  //    must be empty. An empty body stands for {} (or an unset field).
  // INVALID_ARGUMENT naming the field for: malformed JSON, unknown fields, wrong types, a field
  // set both by the path and by the body or query, a singular query parameter given twice, two
  // members of one oneof, more than limits.max_query_params parameters. RESOURCE_EXHAUSTED with
  // HTTP 413 attached (errors.h) for a body above limits.max_body_bytes; INVALID_ARGUMENT with
  // HTTP 414 attached for a query string above limits.max_query_bytes.
  absl::StatusOr<std::string> TranscodeRequest(const Route& route,
                                               const std::vector<PathBinding>& bindings,
                                               std::string_view query, std::string_view body) const;
  // The same, as a message (a DynamicMessage of this transcoder's factory: it must not outlive
  // the transcoder). For inspection and tests.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
      const Route& route, const std::vector<PathBinding>& bindings, std::string_view query,
      std::string_view body) const;
  // One message of a streamed request body (request_stream.h): as TranscodeRequest, except that
  // query parameters are taken with body "*" too, since a line or chunk is not the whole request.
  absl::StatusOr<std::string> TranscodeStreamMessage(const Route& route,
                                                     const std::vector<PathBinding>& bindings,
                                                     std::string_view query,
                                                     std::string_view body) const;

  // The JSON of one serialized response message of `route` (method->output_type()), or of its
  // response_body field: lowerCamelCase names, default values printed, enums by name, int64 as
  // strings, Timestamp as RFC 3339. INTERNAL when `binary` does not parse as that type.
  absl::StatusOr<std::string> TranscodeResponse(const Route& route, std::string_view binary) const;
  // One message of a server stream as an NDJSON line / an SSE event (see below).
  absl::StatusOr<std::string> ResponseToNdjsonLine(const Route& route,
                                                   std::string_view binary) const;
  absl::StatusOr<std::string> ResponseToSseEvent(const Route& route, std::string_view binary) const;

  const TranscoderOptions& options() const { return options_; }

 private:
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Build(
      const Route& route, const std::vector<PathBinding>& bindings, std::string_view query,
      std::string_view body, bool query_with_whole_body) const;
  absl::Status MergeBody(const Route& route, std::string_view body,
                         google::protobuf::Message* request) const;
  absl::Status ApplyQuery(const Route& route, std::string_view query, bool query_with_whole_body,
                          google::protobuf::Message* request) const;
  absl::StatusOr<std::string> ToJson(const google::protobuf::Descriptor& type,
                                     const std::string& binary) const;

  const google::protobuf::DescriptorPool* pool_;
  TranscoderOptions options_;
  mutable google::protobuf::DynamicMessageFactory factory_;
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
};

// `json` followed by '\n': one line of application/x-ndjson. `json` must hold no raw newline,
// which compact JSON never does.
std::string FormatNdjsonLine(std::string_view json);
// One text/event-stream event: "event: <event>\n" when `event` is not empty, then
// "data: <line>\n" for each line of `data`, then a blank line.
std::string FormatSseEvent(std::string_view data, std::string_view event = {});

}  // namespace switchboard::gateway::rest
