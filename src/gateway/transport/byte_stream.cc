#include "gateway/transport/byte_stream.h"

#include "gateway/transport/plain_stream.h"

namespace switchboard::gateway::transport {

ByteStream ByteStream::Plain(boost::asio::ip::tcp::socket socket) {
  return ByteStream(std::make_unique<PlainStream>(std::move(socket)));
}

void ByteStream::WriteAll(boost::asio::const_buffer buffer, IoHandler handler) {
  boost::asio::async_write(*this, buffer, std::move(handler));
}

void teardown(boost::beast::role_type, ByteStream& stream, boost::system::error_code& error) {
  // Only the synchronous WebSocket API calls this, which the gateway does not use; a close
  // without the TLS close_notify is the best a blocking caller gets.
  stream.Close();
  error = {};
}

}  // namespace switchboard::gateway::transport
