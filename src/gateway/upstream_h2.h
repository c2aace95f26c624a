// A pooled HTTP/2 connection to one backend, shared by every request routed there
// (nghttpx's Http2Session). Requests submitted while it connects wait in a queue.
#pragma once

#include <boost/asio.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/gateway_config.h"
#include "gateway/h2_connection.h"
#include "gateway/proxy_stream.h"

namespace switchboard::gateway {

class GatewayMetrics;

class UpstreamH2 : public H2Connection, public std::enable_shared_from_this<UpstreamH2> {
 public:
  static std::shared_ptr<UpstreamH2> Connect(boost::asio::io_context& io, const Backend& backend,
                                             GatewayMetrics* metrics, int32_t connection_window);

  // Sends the request of `stream` (headers now, body as it arrives).
  void Submit(const std::shared_ptr<ProxyStream>& stream, const Headers& headers);
  // The client side has more body for `stream`, or is gone.
  void ResumeRequest(ProxyStream& stream);
  void Cancel(ProxyStream& stream);
  // The client side sent `n` bytes of `stream`'s response: open the backend's window.
  void Consumed(ProxyStream& stream, size_t n);
  // Drops what is buffered of `stream`'s response and gives its bytes back to the connection
  // window: for a call whose client is gone or was answered by the gateway.
  void Release(ProxyStream& stream);
  void ScheduleFlush();
  const Backend& backend() const { return backend_; }
  void Shutdown() { Close(); }

 private:
  UpstreamH2(boost::asio::io_context& io, const Backend& backend, GatewayMetrics* metrics,
             int32_t connection_window);
  void OnConnected();
  void FailQueued(const std::string& why);
  void SubmitNow(const std::shared_ptr<ProxyStream>& stream, const Headers& headers);
  void OnClosed() override;

  static int OnHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                      const uint8_t*, size_t, uint8_t, void*);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame*, void*);
  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int OnStreamClose(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t ReadRequestBody(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                                 nghttp2_data_source*, void*);

  Backend backend_;
  GatewayMetrics* metrics_;
  int32_t connection_window_;
  bool connected_ = false;
  bool flush_scheduled_ = false;
  std::vector<std::pair<std::shared_ptr<ProxyStream>, Headers>> queued_;
  std::map<int32_t, std::shared_ptr<ProxyStream>> streams_;
};

// One connection per backend, made on first use and again after it fails.
class UpstreamPool {
 public:
  UpstreamPool(boost::asio::io_context& io, GatewayMetrics* metrics, int32_t connection_window)
      : io_(io), metrics_(metrics), connection_window_(connection_window) {}
  std::shared_ptr<UpstreamH2> Get(const Backend& backend);
  // Closes every backend connection (at shutdown, on the loop thread).
  void CloseAll();

 private:
  boost::asio::io_context& io_;
  GatewayMetrics* metrics_;
  int32_t connection_window_;
  std::map<std::string, std::shared_ptr<UpstreamH2>> connections_;
};

}  // namespace switchboard::gateway
