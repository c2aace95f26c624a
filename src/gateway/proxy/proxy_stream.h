// One proxied request (nghttpx's Downstream object): its headers, the bytes waiting to go
// each way, and where it stands. Owned by the client-side connection; the backend side holds
// it too until its own stream closes.
#pragma once

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/codec/headers.h"

namespace switchboard::gateway {

// Bytes waiting to be sent: appended at the back, taken from the front without moving the
// rest each time.
class ByteQueue {
 public:
  void Append(const char* data, size_t n) { data_.append(data, n); }
  size_t size() const { return data_.size() - offset_; }
  bool empty() const { return size() == 0; }
  // Copies up to `max` bytes into `out` and drops them; returns how many.
  size_t Take(uint8_t* out, size_t max) {
    const size_t n = std::min(max, size());
    std::memcpy(out, data_.data() + offset_, n);
    offset_ += n;
    if (offset_ == data_.size()) {
      data_.clear();
      offset_ = 0;
    } else if (offset_ > data_.size() / 2) {
      data_.erase(0, offset_);
      offset_ = 0;
    }
    return n;
  }
  void Clear() {
    data_.clear();
    offset_ = 0;
  }

 private:
  std::string data_;
  size_t offset_ = 0;
};

class DownstreamSink;
class UpstreamH2;

struct ProxyStream {
  int32_t down_id = 0;
  std::weak_ptr<DownstreamSink> down;
  int32_t up_id = -1;
  std::weak_ptr<UpstreamH2> up;

  Headers request_headers;
  size_t request_header_bytes = 0;
  std::string method;
  std::string path;
  std::string authority;
  std::string content_type;

  // Client -> backend bytes not yet handed to the backend session.
  ByteQueue request_body;
  bool request_ended = false;
  // Request bytes that arrived after the response was complete, read and dropped.
  uint64_t discarded_request_bytes = 0;

  // Backend -> client.
  Headers response_headers;
  bool response_started = false;  // response HEADERS submitted to the client
  ByteQueue response_body;
  bool response_ended = false;  // no more body will arrive
  Headers trailers;
  bool finished = false;  // final frame submitted to the client

  bool down_closed = false;
  bool up_closed = false;

  // For the access log and metrics.
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  bool counted = false;     // counted as an open call
  int gateway_status = -1;  // a status the gateway produced itself (Fail)
  // Headers of the gateway's own error answer over REST: WWW-Authenticate on a 401,
  // Retry-After on a 429.
  Headers error_headers;

  // Deadline, and the budget it had on arrival (for x-deadline-budget).
  std::chrono::steady_clock::time_point deadline;
  std::chrono::microseconds budget_on_entry{0};
  bool trace = false;
  std::unique_ptr<boost::asio::steady_timer> timer;
};

}  // namespace switchboard::gateway
