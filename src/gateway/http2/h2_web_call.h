// The state of one translated call (gRPC-Web, REST: proxy/protocols.h) on a client's HTTP/2
// connection, beside its ProxyStream: the translation, and the translated response bytes
// waiting for the client.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "gateway/codec/translation.h"
#include "gateway/proxy/proxy_stream.h"
#include "gateway/static_files/body.h"

namespace switchboard::gateway {

struct H2WebCall {
  std::unique_ptr<Translation> translation;
  const char* protocol() const { return translation->protocol(); }

  std::string origin;      // for the CORS headers of a translation that adds none itself
  bool head_only = false;  // a HEAD request: the answer's head without its body

  // A call that needs its whole body (call_needs_whole_body) starts at the body's end, with
  // this metadata; until then its translation holds the body, counted here against the
  // connection's budget.
  Headers metadata;
  size_t buffered_body_bytes = 0;
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
