// One HTTP/2 connection on a byte stream (plaintext or TLS): an nghttp2 session driven by
// Boost.Asio reads and writes. The downstream (client-facing) and upstream (backend) sides both build on it; they
// differ only in the callbacks they give the session.
#pragma once

#include <nghttp2/nghttp2.h>

#include <array>
#include <boost/asio.hpp>
#include <memory>
#include <string>

#include "gateway/transport/byte_stream.h"

namespace switchboard::gateway {

class H2Connection {
 public:
  explicit H2Connection(transport::ByteStream stream);
  virtual ~H2Connection();
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  nghttp2_session* session() const { return session_; }
  // Sends whatever the session has queued; safe to call any time, from the loop thread.
  void Flush();
  bool closed() const { return closed_; }

 protected:
  // Takes ownership of `session`; feeds `initial` bytes (already read) first, then reads.
  void Start(nghttp2_session* session, std::string initial = {});
  // Closes the connection and tells the subclass once.
  void Close();
  // Called once when the connection is gone (socket error, EOF, protocol error, Close()).
  virtual void OnClosed() = 0;
  // Called after every read that delivered bytes.
  virtual void OnActivity() {}
  // The session refused the peer's bytes (a negative nghttp2_error); Close follows.
  virtual void OnReceiveFailed(int /*error*/) {}
  boost::asio::ip::tcp::socket& socket() { return stream_.socket(); }
  transport::ByteStream& stream() { return stream_; }
  // Puts another stream (TLS over the same socket) in place before Start.
  void ReplaceStream(transport::ByteStream stream) { stream_ = std::move(stream); }

 private:
  void Feed(const uint8_t* data, size_t size);
  void ReadMore();
  void WriteMore();

  static constexpr size_t kReadBufferBytes = 64 * 1024;
  // Large enough for many frames per syscall, small enough to bound memory per connection.
  static constexpr size_t kMaxWriteBatchBytes = 256 * 1024;

  transport::ByteStream stream_;
  nghttp2_session* session_ = nullptr;
  // Not zeroed: only what a read wrote is used, and an idle connection then touches only the
  // pages its reads reached instead of all 64 KiB.
  std::array<uint8_t, kReadBufferBytes> read_buffer_;
  std::string write_buffer_;
  bool writing_ = false;
  bool closed_ = false;
  bool flushing_ = false;
  // Keeps this object alive while an Asio handler is pending; subclasses are held by
  // shared_ptr.
 protected:
  std::shared_ptr<H2Connection> self_;
};

}  // namespace switchboard::gateway
