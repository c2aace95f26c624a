// The state of one gRPC-Web or REST call on a client's HTTP/2 connection, beside its
// ProxyStream: the translation, the request body still to be turned into backend frames, and
// the translated response bytes waiting for the client.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/grpcweb/grpc_web_stream.h"
#include "gateway/proxy/proxy_stream.h"
#include "gateway/rest/path_template.h"
#include "gateway/rest/request_stream.h"
#include "gateway/rest/rest_call.h"
#include "gateway/static_files/body.h"

namespace switchboard::gateway {

struct H2WebCall {
  enum class Kind { kGrpcWeb, kRest };
  Kind kind = Kind::kRest;
  const char* protocol() const { return kind == Kind::kGrpcWeb ? "grpc-web" : "rest"; }

  std::optional<grpcweb::GrpcWebStream> grpc_web;

  // REST: the route, the path's bindings and the query. A unary body is buffered whole
  // (bounded by limits.max_message_bytes) and transcoded at its end; a streamed one (NDJSON,
  // raw bytes) goes through `request_stream` as it arrives.
  const rest::Route* route = nullptr;
  std::vector<rest::PathBinding> bindings;
  std::string query;
  std::string request_body;
  std::unique_ptr<rest::RequestStream> request_stream;
  uint64_t request_body_bytes = 0;  // of a streamed body so far, for limits.max_body_bytes
  std::optional<rest::RestResponse> rest;
  std::string origin;  // for the CORS headers of a REST answer
  bool head_only = false;  // a HEAD request: the answer's head without its body

  bool call_started = false;  // the backend call was submitted
  // Request bytes the client sent that its stream window has not been given back yet: held
  // while the backend is behind, so that the client slows down.
  size_t unconsumed_request_bytes = 0;

  // Response: translated bytes for the client, and the backend bytes they came from, given
  // back to the backend's window once the client has taken most of them.
  ByteQueue out;
  bool out_ended = false;
  bool head_submitted = false;
  size_t held_response_bytes = 0;
  // A file answer's body (static_files/), read by nghttp2 until the stream closes.
  std::unique_ptr<static_files::Body> file;
};

}  // namespace switchboard::gateway
