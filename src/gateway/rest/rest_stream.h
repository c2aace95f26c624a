// One REST/JSON call (google.api.http) as a translation (codec/translation.h), request and
// response side in one object: the route a request takes, its body turned into the method's
// request message(s), and the backend's native response turned into the HTTP answer (one JSON
// body, or NDJSON lines / SSE events for a server stream). Pure, no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gateway/codec/headers.h"
#include "gateway/codec/translation.h"
#include "path_template.h"
#include "request_stream.h"
#include "rest_call.h"
#include "route_table.h"
#include "transcoder.h"

namespace switchboard::gateway::rest {

struct RestStreamOptions {
  // limits.max_message_bytes: a unary body, and any message either way.
  size_t max_message_bytes = 4 * 1024 * 1024;
  // limits.max_body_bytes: a streamed request body in total; 0 for no bound.
  uint64_t max_body_bytes = 0;
};

class RestStream : public Translation {
 public:
  // `routes` and `transcoder` must outlive the stream.
  RestStream(const RouteTable& routes, const Transcoder& transcoder, RestStreamOptions options);

  const char* protocol() const override { return "rest"; }
  bool adds_cors_headers() const override { return false; }

  // Matches the route (404; 405 with Allow; 426 with Upgrade for a GET on a client stream) and
  // reads how the body comes: a client-streaming route with an NDJSON or raw body streams
  // (body_is_stream: 415 for a raw body the route has no bytes field for, 413 for a
  // Content-Length over max_body_bytes); any other body is one JSON message
  // (call_needs_whole_body). The metadata: the x- headers, authorization, user-agent and
  // grpc-timeout.
  absl::Status OnRequestHeaders(const Headers& request_headers, UpstreamRequest* upstream) override;
  // A whole body: 413 past max_message_bytes, its message once it ends (400 for JSON that is
  // not the route's). A streamed one: the frames of the messages each piece completes, 413
  // past max_body_bytes.
  absl::Status OnRequestData(std::string_view bytes, bool end_stream,
                             std::string* upstream_body) override;

  DownstreamOutput OnResponseHeaders(const ResponseHead& upstream, bool end_stream) override;
  DownstreamOutput OnResponseData(std::string_view bytes, bool end_stream) override;
  DownstreamOutput OnResponseTrailers(const Headers& trailers) override;
  // Before a route matched, or for the stream's own request errors: the JSON error with the
  // HTTP status the error names (and Allow / Upgrade). Otherwise the call's answer for
  // `status` (an error line once a stream's head is out), with `extra` in its head.
  DownstreamOutput Fail(const absl::Status& status, const Headers& extra) override;

  // The route, once one matched (also for a 426), else null.
  const Route* route() const { return route_; }

 private:
  absl::Status RequestError(absl::Status status);
  // The answer for a call that ended with `grpc_code`; the deadline trace is taken from
  // `trace_source`'s x-deadline-budget.
  DownstreamOutput Finish(int grpc_code, const std::string& message, const Headers& trailers,
                          const Headers& trace_source, const Headers& extra = {});

  const RouteTable* routes_;
  const Transcoder* transcoder_;
  RestStreamOptions options_;

  const Route* route_ = nullptr;
  Headers rejection_headers_;  // Allow on a 405, Upgrade on a 426
  bool request_failed_ = false;
  bool answered_ = false;  // Fail gave the whole answer of a call that never had a response
  std::vector<PathBinding> bindings_;
  std::string query_;
  std::string body_;  // a unary body, until its end
  std::unique_ptr<RequestStream> request_stream_;
  uint64_t streamed_bytes_ = 0;

  std::optional<RestResponse> response_;
  Headers response_headers_;
};

}  // namespace switchboard::gateway::rest
