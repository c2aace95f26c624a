// One client or backend connection's bytes, whatever carries them: plaintext TCP or TLS over
// it. The codecs (HTTP/1.1, HTTP/2, WebSocket) read and write through this and never see a
// socket type, so a new transport is written once, here.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core/role.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::gateway::transport {

using IoHandler = std::function<void(const boost::system::error_code&, size_t)>;

// Who the peer proved to be with its TLS client certificate (empty over plaintext, or without
// a client certificate).
struct PeerIdentity {
  std::string subject;            // RFC 2253, e.g. "CN=booking,O=Switchboard"
  std::vector<std::string> uris;  // SAN URIs, e.g. spiffe://switchboard/service/booking
  bool empty() const { return subject.empty() && uris.empty(); }
};

class ByteStreamImpl {
 public:
  virtual ~ByteStreamImpl() = default;
  virtual boost::asio::any_io_executor executor() = 0;
  virtual void ReadSome(boost::asio::mutable_buffer buffer, IoHandler handler) = 0;
  // Writes some of `buffers` (at least one byte unless an error), as write_some does.
  virtual void WriteSome(const std::vector<boost::asio::const_buffer>& buffers,
                         IoHandler handler) = 0;
  // A read for a connection that is usually quiet (a client between requests, or during its
  // call): waits until bytes arrive rather than trying a read first.
  virtual void ReadWhenReady(boost::asio::mutable_buffer buffer, IoHandler handler) = 0;
  // The peer has closed its side already, known without waiting (false when it cannot tell).
  virtual bool PeerHungUp() = 0;
  // Ends the connection at once; pending operations complete with an error.
  virtual void Close() = 0;
  // Ends the connection in order (TLS: close_notify first, bounded in time), then calls
  // `done` on the stream's executor.
  virtual void Shutdown(std::function<void()> done) = 0;
  virtual boost::asio::ip::tcp::socket& socket() = 0;
  virtual const PeerIdentity& peer_identity() const = 0;
  virtual bool secure() const = 0;
};

// A movable handle on one connection, usable wherever Asio and Beast take an AsyncStream (a
// Beast WebSocket stream sits on it).
class ByteStream {
 public:
  using executor_type = boost::asio::any_io_executor;

  ByteStream() = default;
  explicit ByteStream(std::unique_ptr<ByteStreamImpl> impl) : impl_(std::move(impl)) {}
  static ByteStream Plain(boost::asio::ip::tcp::socket socket);

  executor_type get_executor() { return impl_->executor(); }
  ByteStreamImpl& impl() { return *impl_; }
  const ByteStreamImpl& impl() const { return *impl_; }
  explicit operator bool() const { return impl_ != nullptr; }

  void ReadSome(boost::asio::mutable_buffer buffer, IoHandler handler) {
    impl_->ReadSome(buffer, std::move(handler));
  }
  void ReadWhenReady(boost::asio::mutable_buffer buffer, IoHandler handler) {
    impl_->ReadWhenReady(buffer, std::move(handler));
  }
  void WriteSome(const std::vector<boost::asio::const_buffer>& buffers, IoHandler handler) {
    impl_->WriteSome(buffers, std::move(handler));
  }
  // Writes all of `buffer` (which must stay valid until `handler` runs).
  void WriteAll(boost::asio::const_buffer buffer, IoHandler handler);
  bool PeerHungUp() { return impl_->PeerHungUp(); }
  void Close() {
    if (impl_) impl_->Close();
  }
  void Shutdown(std::function<void()> done) { impl_->Shutdown(std::move(done)); }
  boost::asio::ip::tcp::socket& socket() { return impl_->socket(); }
  const PeerIdentity& peer_identity() const { return impl_->peer_identity(); }
  bool secure() const { return impl_->secure(); }

  // The AsyncReadStream and AsyncWriteStream requirements, for Beast. A read or write of
  // several buffers uses the first non-empty one for reads and all of them for writes.
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, size_t)>(
        [this](auto handler, const MutableBuffers& target) {
          ReadSome(FirstBuffer(target), Wrap(std::move(handler)));
        },
        token, buffers);
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, size_t)>(
        [this](auto handler, const ConstBuffers& source) {
          std::vector<boost::asio::const_buffer> list(boost::asio::buffer_sequence_begin(source),
                                                      boost::asio::buffer_sequence_end(source));
          WriteSome(list, Wrap(std::move(handler)));
        },
        token, buffers);
  }

 private:
  template <class MutableBuffers>
  static boost::asio::mutable_buffer FirstBuffer(const MutableBuffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer buffer(*it);
      if (buffer.size() > 0) return buffer;
    }
    return {};
  }
  // Asio's composed operations hand over move-only handlers; IoHandler must be copyable.
  template <class Handler>
  static IoHandler Wrap(Handler handler) {
    auto shared = std::make_shared<Handler>(std::move(handler));
    return [shared](const boost::system::error_code& error, size_t n) { (*shared)(error, n); };
  }

  std::unique_ptr<ByteStreamImpl> impl_;
};

// Beast's WebSocket stream ends its connection through these (found by argument lookup).
inline void beast_close_socket(ByteStream& stream) { stream.Close(); }
void teardown(boost::beast::role_type role, ByteStream& stream, boost::system::error_code& error);
template <class TeardownHandler>
void async_teardown(boost::beast::role_type, ByteStream& stream, TeardownHandler&& handler) {
  auto shared =
      std::make_shared<std::decay_t<TeardownHandler>>(std::forward<TeardownHandler>(handler));
  stream.Shutdown([shared] { (*shared)(boost::system::error_code()); });
}

}  // namespace switchboard::gateway::transport
