// A client connection's stream that holds the connection's place under the connection limits
// (ConnectionLease) and gives it back the moment the connection closes, whichever codec (or
// the WebSocket bridge it was handed to) closes it.
#pragma once

#include <memory>
#include <utility>

#include "gateway/connection_limiter.h"
#include "gateway/transport/byte_stream.h"

namespace switchboard::gateway::transport {

class LeasedStream : public ByteStreamImpl {
 public:
  // Wraps `stream`; null `lease` is allowed (nothing to give back).
  static ByteStream Wrap(ByteStream stream, std::shared_ptr<ConnectionLease> lease) {
    return ByteStream(std::make_unique<LeasedStream>(std::move(stream), std::move(lease)));
  }
  LeasedStream(ByteStream stream, std::shared_ptr<ConnectionLease> lease)
      : stream_(std::move(stream)), lease_(std::move(lease)) {}

  boost::asio::any_io_executor executor() override { return stream_.get_executor(); }
  void ReadSome(boost::asio::mutable_buffer buffer, IoHandler handler) override {
    stream_.ReadSome(buffer, std::move(handler));
  }
  void WriteSome(const std::vector<boost::asio::const_buffer>& buffers,
                 IoHandler handler) override {
    stream_.WriteSome(buffers, std::move(handler));
  }
  void ReadWhenReady(boost::asio::mutable_buffer buffer, IoHandler handler) override {
    stream_.ReadWhenReady(buffer, std::move(handler));
  }
  bool PeerHungUp() override { return stream_.PeerHungUp(); }
  void Close() override {
    stream_.Close();
    if (lease_) lease_->Release();
  }
  void Shutdown(std::function<void()> done) override {
    stream_.Shutdown([lease = lease_, done = std::move(done)] {
      if (lease) lease->Release();
      done();
    });
  }
  boost::asio::ip::tcp::socket& socket() override { return stream_.socket(); }
  const PeerIdentity& peer_identity() const override { return stream_.peer_identity(); }
  bool secure() const override { return stream_.secure(); }

 private:
  ByteStream stream_;
  std::shared_ptr<ConnectionLease> lease_;
};

}  // namespace switchboard::gateway::transport
