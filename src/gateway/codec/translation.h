// The per-stream translation interface every client-facing protocol other than native gRPC
// implements (gRPC-Web, REST/JSON; Connect would be the next): request events in, the native
// gRPC request out; response events in, what to send the client out. Pure, like Envoy's
// stream filters but returning their output, so a protocol is tested without sockets and the
// codecs (HTTP/1.1, HTTP/2) drive every protocol the same way (proxy/translations.h picks one
// by content type).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gateway/codec/headers.h"
#include "gateway/codec/translation_output.h"

namespace switchboard::gateway {

// The native gRPC call a request becomes. The upstream session adds the pseudo-headers itself
// (:method POST, :scheme) from `path` and `authority`.
struct UpstreamRequest {
  std::string path;       // ":path": "/<package>.<Service>/<Method>"; may be set on failure
  std::string authority;  // ":authority", or Host from HTTP/1.1; may be empty
  // Metadata for the backend, lowercase names; a client's grpc-timeout among them verbatim
  // (the proxy owns deadlines and settles the backend's from it).
  Headers headers;
  // The body is a stream of messages of no bound but limits.max_body_bytes (a REST
  // client-streaming body): read and forwarded as it arrives, never buffered whole. Also set
  // when OnRequestHeaders fails for such a body, so that the codec answers at once.
  bool body_is_stream = false;
  // The call can start only once the whole body was translated (a REST unary body is one JSON
  // message): the codec buffers nothing itself, but submits the call at the body's end.
  bool call_needs_whole_body = false;
};

// One call's translation. Use from one thread (the connection's event loop).
//   request:  OnRequestHeaders, then OnRequestData (end_stream=true exactly once, with empty
//             `bytes` when the body ended on its own or had none).
//   response: OnResponseHeaders, OnResponseData*, OnResponseTrailers; or OnResponseHeaders
//             with end_stream=true (trailers-only).
//   errors:   a request-side hook returning non-OK, or a failure of the gateway (no backend,
//             deadline, a reset, a drain): Fail(status) and send its output.
// Once an output has end_stream the call is over: the codec cancels the backend stream if it
// is still open. Later hooks return empty outputs.
class Translation {
 public:
  virtual ~Translation() = default;

  // The protocol's name in metrics and the access log: "grpc-web", "rest".
  virtual const char* protocol() const = 0;
  // Whether the response heads this translation gives carry CORS headers already; otherwise
  // the codec adds them for a cross-origin request.
  virtual bool adds_cors_headers() const = 0;

  // `request_headers`: the client's headers in arrival order, any case, with ":method" and
  // ":path" (and ":authority", or a Host header) among them. Fills `upstream` (its path even
  // on failure, where known, for the metrics).
  virtual absl::Status OnRequestHeaders(const Headers& request_headers,
                                        UpstreamRequest* upstream) = 0;
  // Appends to `upstream_body` the complete native gRPC frames `bytes` completes.
  virtual absl::Status OnRequestData(std::string_view bytes, bool end_stream,
                                     std::string* upstream_body) = 0;

  // `upstream`: the backend's response head; end_stream for a trailers-only response. A
  // deadline trace the client asked for is already in the headers (x-deadline-budget).
  virtual DownstreamOutput OnResponseHeaders(const ResponseHead& upstream, bool end_stream) = 0;
  // Backend DATA; end_stream when the backend ended without trailers.
  virtual DownstreamOutput OnResponseData(std::string_view bytes, bool end_stream) = 0;
  // The backend's trailers, the deadline trace already among them.
  virtual DownstreamOutput OnResponseTrailers(const Headers& trailers) = 0;
  // Ends the call with `status`. `extra`: headers for an answer whose head is not sent yet
  // (WWW-Authenticate, Retry-After, x-deadline-budget); a protocol that carries errors in
  // gRPC trailers may leave them out.
  virtual DownstreamOutput Fail(const absl::Status& status, const Headers& extra) = 0;
};

}  // namespace switchboard::gateway
