// What the backend side of a proxied call talks to: the client-facing side, whatever its
// protocol (HTTP/2 for native gRPC, HTTP/1.1 for REST and gRPC-Web).
#pragma once

#include <cstddef>
#include <string>

namespace switchboard::gateway {

struct ProxyStream;

class DownstreamSink {
 public:
  virtual ~DownstreamSink() = default;
  // The backend's response headers are in stream.response_headers; `end_stream` when they
  // are all there is (trailers-only).
  virtual void StartResponse(ProxyStream& stream, bool end_stream) = 0;
  // More response body is in stream.response_body, or the response ended.
  virtual void ResumeResponse(ProxyStream& stream) = 0;
  // Ends the call with a status from the gateway itself.
  virtual void Fail(ProxyStream& stream, int grpc_code, const std::string& message) = 0;
  // The backend took `n` bytes of the request body: the client may send more.
  virtual void Consumed(ProxyStream& stream, size_t n) = 0;
};

}  // namespace switchboard::gateway
