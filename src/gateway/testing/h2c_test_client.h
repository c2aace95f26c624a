// Test helper: a blocking HTTP/2 client over cleartext (h2c, prior knowledge), several
// requests on one connection, driven by the test's own thread. nghttp2, like the gateway,
// but with none of its code: the client side of the session is a separate implementation.
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::gateway::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct H2Response {
  int status = 0;
  HeaderList headers;
  std::string body;
  HeaderList trailers;
  bool closed = false;       // the stream is over
  uint32_t error_code = 0;   // its RST_STREAM code, 0 for a clean end
  // The first header named `name`, or "" without one.
  std::string Header(const std::string& name) const;
  std::string Trailer(const std::string& name) const;
};

class H2cClient {
 public:
  // Connects to 127.0.0.1:`port`. `auto_window` false: the client never acknowledges
  // response bytes, so the server can send one initial window (`stream_window`) per stream.
  explicit H2cClient(uint16_t port, int32_t stream_window = 65535, bool auto_window = true);
  ~H2cClient();
  H2cClient(const H2cClient&) = delete;
  H2cClient& operator=(const H2cClient&) = delete;

  // Sends a request and returns its stream id: `body`, then the end of the stream unless
  // `open` (more comes through Send).
  int32_t Start(const std::string& method, const std::string& path, const HeaderList& headers,
                std::string body = "", bool open = false);
  // More of an open request's body; `end` ends the stream after it.
  void Send(int32_t id, const std::string& data, bool end);
  // Runs the connection until `done` holds or `timeout` passes; false on time-out or when the
  // connection is gone first.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Start, then wait for the stream to close.
  H2Response Call(const std::string& method, const std::string& path,
                  const HeaderList& headers = {}, std::string body = "",
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Resets the stream (RST_STREAM CANCEL) and sends it.
  void Cancel(int32_t id);
  const H2Response& response(int32_t id) { return responses_[id]; }
  bool connection_closed() const { return connection_closed_; }

 private:
  bool Pump(std::chrono::milliseconds wait);
  static int OnHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                      const uint8_t*, size_t, uint8_t, void*);
  static int OnData(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int OnClose(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                          nghttp2_data_source*, void*);

  int fd_ = -1;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, H2Response> responses_;
  std::map<int32_t, std::string> bodies_;
  std::map<int32_t, bool> open_;  // request bodies still to be continued
  bool connection_closed_ = false;
};

// A gRPC message in its 5-byte frame.
std::string GrpcFrame(const std::string& message, uint8_t flags = 0);

}  // namespace switchboard::gateway::testing
