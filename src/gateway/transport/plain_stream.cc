#include "gateway/transport/plain_stream.h"

#include <sys/socket.h>

#include <cerrno>

namespace switchboard::gateway::transport {

PlainStream::PlainStream(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
}

void PlainStream::ReadSome(boost::asio::mutable_buffer buffer, IoHandler handler) {
  socket_.async_read_some(buffer, std::move(handler));
}

void PlainStream::WriteSome(const std::vector<boost::asio::const_buffer>& buffers,
                            IoHandler handler) {
  socket_.async_write_some(buffers, std::move(handler));
}

void PlainStream::ReadWhenReady(boost::asio::mutable_buffer buffer, IoHandler handler) {
  // Waiting rather than reading costs no speculative recv(2) that finds nothing: most waits
  // of this kind end with the response sent and the next request's read taking over.
  socket_.async_wait(
      boost::asio::ip::tcp::socket::wait_read,
      [this, buffer,
       handler = std::move(handler)](const boost::system::error_code& wait_error) mutable {
        if (wait_error) {
          handler(wait_error, 0);
          return;
        }
        ssize_t n = 0;
        do {
          n = ::recv(socket_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          ReadWhenReady(buffer, std::move(handler));  // readable, then not
          return;
        }
        if (n < 0) {
          handler(boost::system::error_code(errno, boost::system::system_category()), 0);
          return;
        }
        if (n == 0) {
          handler(boost::asio::error::eof, 0);
          return;
        }
        handler({}, static_cast<size_t>(n));
      });
}

bool PlainStream::PeerHungUp() {
  char byte = 0;
  ssize_t n = 0;
  do {
    n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

void PlainStream::Close() {
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void PlainStream::Shutdown(std::function<void()> done) {
  Close();
  boost::asio::post(socket_.get_executor(), std::move(done));
}

}  // namespace switchboard::gateway::transport
