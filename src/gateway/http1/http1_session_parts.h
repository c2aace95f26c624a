// What the files of Http1Session share (http1_session.cc: the connection's life;
// http1_request_reader.cc: reading and parsing requests; http1_exchange.cc: one request's call
// and its answer; http1_response_writer.cc: writing answers): the request being handled and the
// limits more than one of them applies.
#pragma once

#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "gateway/codec/headers.h"
#include "gateway/http1/http1_session.h"

namespace switchboard::gateway {

namespace http = boost::beast::http;

// A body parser's limit while only the header is judged (the body's own limit comes later).
inline constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();
// Response bytes queued for the client and not yet written past which the bytes of a message
// still arriving are no longer given back to the backend at once (GiveBackUnsent).
inline constexpr size_t kMaxQueuedResponseBytes = 1 << 20;

struct Http1Session::Request {
  http::request<http::string_body> raw;
  std::string method;
  std::string target;
  Headers headers;  // lowercase names
  std::string body;
  bool keep_alive = true;

  const std::string* Header(const char* name) const { return FindHeader(headers, name); }
};

}  // namespace switchboard::gateway
