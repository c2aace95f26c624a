// Plaintext TCP (h2c, HTTP/1.1 and the backends' h2c).
#pragma once

#include "gateway/transport/byte_stream.h"

namespace switchboard::gateway::transport {

class PlainStream : public ByteStreamImpl {
 public:
  explicit PlainStream(boost::asio::ip::tcp::socket socket);
  boost::asio::any_io_executor executor() override { return socket_.get_executor(); }
  void ReadSome(boost::asio::mutable_buffer buffer, IoHandler handler) override;
  void WriteSome(const std::vector<boost::asio::const_buffer>& buffers, IoHandler handler) override;
  void ReadWhenReady(boost::asio::mutable_buffer buffer, IoHandler handler) override;
  bool PeerHungUp() override;
  void Close() override;
  void Shutdown(std::function<void()> done) override;
  boost::asio::ip::tcp::socket& socket() override { return socket_; }
  const PeerIdentity& peer_identity() const override { return no_identity_; }
  bool secure() const override { return false; }

 private:
  boost::asio::ip::tcp::socket socket_;
  PeerIdentity no_identity_;
};

}  // namespace switchboard::gateway::transport
