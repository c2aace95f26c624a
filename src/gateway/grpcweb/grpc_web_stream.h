// One gRPC-Web call translated to and from native gRPC (grpc/grpc doc/PROTOCOL-WEB.md over
// doc/PROTOCOL-HTTP2.md), shaped like Envoy's grpc_web_filter: request-side hooks take what the
// browser sent and give what goes to the backend; response-side hooks take what the backend
// sent and give what goes to the browser. Pure logic, no sockets: the HTTP/2 and HTTP/1.1
// servers of the gateway move the bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base64_stream.h"
#include "content_type.h"
#include "cors.h"
#include "gateway/codec/grpc_framing.h"
#include "gateway/codec/headers.h"
#include "gateway/codec/translation.h"
#include "gateway/codec/translation_output.h"

namespace switchboard::gateway::grpcweb {

// Defaults of the gateway config's `limits` block.
inline constexpr size_t kDefaultMaxMessageBytes = 4 * 1024 * 1024;
inline constexpr size_t kDefaultMaxHeaderBytes = 64 * 1024;
// A grpc-message the gateway writes itself is cut to this many bytes before percent-encoding.
inline constexpr size_t kMaxLocalMessageBytes = 1024;

struct StreamOptions {
  // Largest message either way (limits.max_message_bytes): a frame declaring more fails the
  // call with RESOURCE_EXHAUSTED before its payload is buffered.
  size_t max_message_bytes = kDefaultMaxMessageBytes;
  // Largest request and response header lists, counted as HTTP/2's
  // SETTINGS_MAX_HEADER_LIST_SIZE does, and trailer block (limits.max_header_bytes).
  size_t max_header_bytes = kDefaultMaxHeaderBytes;
  // Adds CORS headers to every response head this stream produces, errors included. Not
  // owned, must outlive the stream; null for none.
  const CorsPolicy* cors = nullptr;
};

// The native request a gRPC-Web one becomes (codec/translation.h). Its headers: te: trailers,
// grpc-timeout (verbatim, when sent), content-type: application/grpc, grpc-accept-encoding (the
// browser's, or identity), the other call-definition headers (grpc-encoding,
// grpc-message-type, user-agent), then custom metadata in arrival order. Lowercase names.
// Dropped: pseudo-headers, hop-by-hop headers (and those a Connection header names), host,
// content-length, accept, accept-encoding, expect, x-grpc-web (a signal for proxies only),
// names that are not valid gRPC metadata names and values that are not printable ASCII
// (PROTOCOL-HTTP2.md allows throwing those away). x-user-agent is kept: it is ordinary
// metadata carrying the web client's version ("grpc-web-javascript/0.1").
using gateway::UpstreamRequest;

// The per-call translator. Use from one thread (the connection's event loop).
//
// Lifecycle for the wiring:
//   request:  OnRequestHeaders, then OnRequestData (end_stream=true exactly once, with an
//             empty `bytes` when the body ended on its own frame or had none).
//   response: OnResponseHeaders, OnResponseData*, OnResponseTrailers; or OnResponseHeaders
//             with end_stream=true (trailers-only).
//   errors:   any request-side hook returning non-OK, an upstream that cannot be reached, a
//             deadline, an upstream reset: call Fail(status) and send its output; the
//             gateway's own errors thereby reach the browser as gRPC-Web statuses.
// Once an output has end_stream the call is over: cancel the upstream stream if it is still
// open (RST_STREAM CANCEL). Later hooks return empty outputs.
class GrpcWebStream : public Translation {
 public:
  explicit GrpcWebStream(const StreamOptions& options);

  const char* protocol() const override { return "grpc-web"; }
  bool adds_cors_headers() const override { return true; }

  // ---- Request side: browser -> backend ----

  // `request_headers`: the browser's headers in arrival order, any case, with the
  // pseudo-headers ":method" and ":path" (and ":authority", or a Host header). The HTTP/1.1
  // server adds ":method" and ":path" from its request line.
  // Errors: RESOURCE_EXHAUSTED for headers over max_header_bytes; UNIMPLEMENTED for a method
  // other than POST, a codec other than proto (+json) or a compressed body (content-encoding);
  // INVALID_ARGUMENT for a missing :path or a content type that is not gRPC-Web (answered
  // with HTTP 415, as PROTOCOL-HTTP2.md asks of servers). grpc-timeout is passed on verbatim,
  // not judged here: the proxy owns deadlines (gateway/grpc_timeout.h) for both protocols.
  absl::Status OnRequestHeaders(const Headers& request_headers,
                                UpstreamRequest* upstream) override;

  // Appends to `upstream_body` every complete native gRPC frame `bytes` completes: the bytes
  // as sent in binary mode, base64-decoded ones in text mode. A partial frame is held (at most
  // max_message_bytes + 5 bytes), so the backend only ever sees whole, valid frames.
  // Errors: INVALID_ARGUMENT for invalid base64, a frame with flags other than 0 or 1
  // (compressed), or a body ending inside a frame or a base64 group; RESOURCE_EXHAUSTED for a
  // frame over max_message_bytes. After an error `upstream_body` may hold frames appended by
  // this call; reset the upstream stream rather than send them.
  absl::Status OnRequestData(std::string_view bytes, bool end_stream,
                             std::string* upstream_body) override;

  // ---- Response side: backend -> browser ----

  // The upstream's response headers; end_stream when they end the stream (trailers-only).
  // Gives the browser's head: 200, content-type application/grpc-web+proto or
  // application/grpc-web-text+proto (see ResponseWireFormat), the upstream's metadata.
  //
  // Trailers-only: the status stays in the HTTP headers (grpc-status, grpc-message and any
  // trailing metadata), with an empty body; no 0x80 trailer frame is added. PROTOCOL-WEB.md
  // allows it ("Trailers may be sent together with response headers, with no message in the
  // body"), Envoy does it, and the official JS client (GrpcWebClientReadableStream) reads
  // grpc-status from the response headers when the body had no trailer frame. Sending both
  // would make that client report the error twice (once from the frame, once from the
  // headers on COMPLETE), so for the same reason grpc-status and grpc-message are removed from
  // a head that does not end the stream. Gateway errors (Fail) use the same shape.
  //
  // A response that is not gRPC (HTTP status other than 200, content type other than
  // application/grpc) ends the call with the status PROTOCOL-HTTP2.md says to synthesize
  // (doc/http-grpc-status-mapping.md: 400 INTERNAL, 401 UNAUTHENTICATED, 403
  // PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, other UNKNOWN; a 200
  // with another content type INTERNAL).
  DownstreamOutput OnResponseHeaders(const ResponseHead& upstream, bool end_stream) override;

  // Upstream DATA. Binary mode: the frames byte for byte; text mode: one padded base64 unit per
  // call, so each call's output can be flushed on its own. Only whole frames are emitted (a
  // partial one is held, bounded as on the request side), which keeps the trailer frame on a
  // frame boundary. end_stream here means the upstream ended without trailers: INTERNAL.
  // Fails the call with INTERNAL for a frame with flags other than 0 or 1, RESOURCE_EXHAUSTED
  // for one over max_message_bytes.
  DownstreamOutput OnResponseData(std::string_view bytes, bool end_stream) override;

  // The upstream's trailers, as the final body frame: flag 0x80, payload "key:value\r\n" per
  // trailer, lowercase keys, grpc-status first, then grpc-message, then the rest in order.
  // Binary metadata (-bin) stays base64 in text mode too: PROTOCOL-WEB.md would skip that
  // encoding, but a raw value may hold CR LF and break the block, and neither Envoy nor the JS
  // client does it. Missing or malformed grpc-status: UNKNOWN, per PROTOCOL-HTTP2.md's "must
  // synthesize". Trailers arriving inside a message, or over max_header_bytes: INTERNAL.
  DownstreamOutput OnResponseTrailers(const Headers& trailers) override;

  // Ends the call with `status` (DEADLINE_EXCEEDED, UNAVAILABLE, a request-side error ...).
  // Before the head was sent: a head like trailers-only (grpc-status and grpc-message in the
  // headers, empty body). After: a trailer frame. grpc-message is the status message cut to
  // kMaxLocalMessageBytes, made valid UTF-8 and percent-encoded (EncodeGrpcMessage).
  // `extra` is left out: the status travels in grpc-status (WWW-Authenticate and the like mean
  // nothing to a gRPC-Web client).
  DownstreamOutput Fail(const absl::Status& status, const Headers& extra) override;
  DownstreamOutput Fail(const absl::Status& status) { return Fail(status, {}); }

  bool head_sent() const { return head_sent_; }
  bool finished() const { return finished_; }
  WireFormat request_format() const { return request_format_; }
  WireFormat response_format() const { return response_format_; }

 private:
  absl::Status SetRequestError(absl::Status status);
  void FailInto(const absl::Status& status, DownstreamOutput* out);
  void EmitHead(ResponseHead head, DownstreamOutput* out);
  // Appends `frames` (native gRPC framing) to `out` in the response's wire format.
  void AppendBody(std::string_view frames, std::string* out) const;

  StreamOptions options_;
  WireFormat request_format_ = WireFormat::kBinary;
  WireFormat response_format_ = WireFormat::kBinary;
  std::string origin_;
  // HTTP status of a response that fails before its head: 415 for a content type that is not
  // gRPC-Web, 200 (the status in grpc-status) otherwise.
  int error_http_status_ = 200;

  bool request_headers_seen_ = false;
  bool request_ended_ = false;
  absl::Status request_status_;
  Base64StreamDecoder base64_;
  std::string decoded_;
  FrameDecoder request_frames_;

  bool upstream_headers_seen_ = false;
  bool head_sent_ = false;
  bool finished_ = false;
  FrameDecoder response_frames_;
  GrpcFrame frame_;
};

}  // namespace switchboard::gateway::grpcweb
