// TLS over TCP (OpenSSL through Asio's ssl stream): the gateway's TLS listener, and backends
// configured with `tls:`.
#pragma once

#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "gateway/transport/byte_stream.h"

namespace switchboard::gateway::transport {

class TlsStream : public ByteStreamImpl {
 public:
  using Handshake = boost::asio::ssl::stream_base::handshake_type;
  // `context` is shared: a reload makes a new one while connections keep theirs.
  TlsStream(boost::asio::ip::tcp::socket socket,
            std::shared_ptr<boost::asio::ssl::context> context);

  // Runs the handshake; gives up (the socket closed, an error to `done`) after `timeout`.
  // `server_name` (client side) is sent as SNI and checked against the certificate.
  void StartHandshake(Handshake type, std::chrono::milliseconds timeout,
                      std::function<void(const boost::system::error_code&)> done,
                      const std::string& server_name = {});
  // The protocol ALPN settled on ("h2", "http/1.1"), or empty.
  const std::string& alpn() const { return alpn_; }

  boost::asio::any_io_executor executor() override { return stream_.get_executor(); }
  void ReadSome(boost::asio::mutable_buffer buffer, IoHandler handler) override;
  void WriteSome(const std::vector<boost::asio::const_buffer>& buffers, IoHandler handler) override;
  void ReadWhenReady(boost::asio::mutable_buffer buffer, IoHandler handler) override {
    ReadSome(buffer, std::move(handler));
  }
  bool PeerHungUp() override;
  void Close() override;
  void Shutdown(std::function<void()> done) override;
  boost::asio::ip::tcp::socket& socket() override { return stream_.next_layer(); }
  const PeerIdentity& peer_identity() const override { return identity_; }
  bool secure() const override { return true; }

 private:
  void ReadHandshakeResult();

  std::shared_ptr<boost::asio::ssl::context> context_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  PeerIdentity identity_;
  std::string alpn_;
  // Small buffers of one gather write, copied into one record of up to 16 KiB (Asio's ssl
  // stream copies at most 8 KiB of a sequence into one record, so an HTTP/1.1 head and its
  // first chunks would otherwise take several).
  std::string coalesced_;
};

}  // namespace switchboard::gateway::transport
