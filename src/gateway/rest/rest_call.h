// One REST call (google.api.http) as both client-facing servers run it, HTTP/1.1 and HTTP/2:
// the route a request goes to, and the backend's native gRPC response turned into the HTTP
// response. Pure logic like grpcweb::GrpcWebStream, with the same output shape, so that each
// server has one way to send what either translation gives.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/codec/grpc_framing.h"
#include "gateway/codec/headers.h"
#include "gateway/codec/translation_output.h"
#include "raw_body.h"
#include "route_table.h"
#include "transcoder.h"

namespace switchboard::gateway::rest {

// A request the gateway answers itself before any backend call.
struct RestRejection {
  absl::Status status;
  int http_status = 0;           // 0: the one `status` maps to (HttpStatusFromStatus)
  Headers extra;                 // Allow on a 405, Upgrade on a 426
  const Route* route = nullptr;  // the route, when one matched
};

// The route for `method` and `path`: 404 for no route, 405 with Allow for a path that has
// routes for other methods, 426 with Upgrade for a GET on a client-streaming route (a GET
// carries no messages of its own: such a route is a WebSocket, never one request message).
std::variant<RouteMatch, RestRejection> MatchRestRoute(const RouteTable& routes,
                                                       const std::string& method,
                                                       std::string_view path);

// The route a WebSocket upgrade of `path` opens: a client-streaming or bidirectional method,
// declared for GET (chat) or for the method its body would take over plain HTTP (POST
// /uploads, /stocks:publish), since the upgrade itself is always a GET. NOT_FOUND for a path
// with no route, INVALID_ARGUMENT for one whose routes are not streams of requests.
absl::StatusOr<RouteMatch> MatchWebSocketRoute(const RouteTable& routes, std::string_view path);

// A whole JSON error answer: `status` as {"code", "message", "details"}, with `http_status`
// (0: the one `status` maps to) and `extra` headers.
DownstreamOutput RestErrorOutput(const absl::Status& status, int http_status = 0,
                                 Headers extra = {});

// The request headers a REST client passes on to the service as gRPC metadata.
Headers RestRequestMetadata(const Headers& request_headers);
// Whether the client asked for Server-Sent Events (Accept: text/event-stream).
bool WantsServerSentEvents(const Headers& request_headers);

// The gRPC status a header block carries (trailers, or the headers of a trailers-only
// response), with its decoded message; INTERNAL "backend sent no grpc-status" without one.
std::pair<int, std::string> GrpcStatusOf(const Headers& headers);

// The response side of one call: a unary route answers with one JSON body once the call
// ends; a server-streaming route with NDJSON lines or SSE events as the messages come, or,
// when its response_body is a bytes field (raw_body.h), with those bytes raw: the head waits
// for the first message, whose total_bytes gives Content-Length (and Content-Range).
class RestResponse {
 public:
  // `transcoder` and `route` must outlive the response.
  RestResponse(const Transcoder& transcoder, const Route& route, bool sse,
               size_t max_message_bytes);

  // The backend's response headers, when more follows: a streaming route's head.
  DownstreamOutput OnResponseHeaders(const Headers& response_headers);
  // Backend DATA: a streaming route's lines for the messages these bytes complete. Fails
  // (INTERNAL) for a frame that is not valid or a message that is not the route's.
  absl::StatusOr<DownstreamOutput> OnResponseData(std::string_view bytes);
  // The call ended with `grpc_code`: the whole answer of a unary route (its JSON, or the
  // JSON error with the HTTP status for the code), or a stream's last line (an error line for
  // a failure). `response_headers` and `trailers` give the x- metadata the client sees as
  // headers; `trace`, when set, is the x-deadline-budget value to add.
  DownstreamOutput Finish(int grpc_code, const std::string& message,
                          const Headers& response_headers, const Headers& trailers,
                          const std::string* trace);

  // The client asked for this range and the request carries it (206 / 416 instead of 200).
  void SetRange(const ByteRange& range) { range_ = range; }

  bool streaming() const { return route_->server_streaming; }
  bool head_sent() const { return head_sent_; }
  bool finished() const { return finished_; }
  const Route& route() const { return *route_; }

 private:
  // The head of a raw stream, once the first message gives the size (-1: unknown).
  ResponseHead RawHead(int64_t total_bytes) const;

  const Transcoder* transcoder_;
  const Route* route_;
  bool sse_;
  FrameDecoder decoder_;
  std::optional<std::string> first_message_;
  const bool raw_;
  std::optional<ByteRange> range_;
  Headers raw_response_headers_;  // a raw stream's backend head, until its first message
  bool head_sent_ = false;
  bool finished_ = false;
};

}  // namespace switchboard::gateway::rest
