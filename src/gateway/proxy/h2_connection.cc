#include "gateway/proxy/h2_connection.h"

#include <spdlog/spdlog.h>

namespace switchboard::gateway {

H2Connection::H2Connection(transport::ByteStream stream) : stream_(std::move(stream)) {}

H2Connection::~H2Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

void H2Connection::Start(nghttp2_session* session, std::string initial) {
  session_ = session;
  if (!initial.empty()) {
    Feed(reinterpret_cast<const uint8_t*>(initial.data()), initial.size());
    if (closed_) return;
  }
  Flush();
  ReadMore();
}

void H2Connection::Feed(const uint8_t* data, size_t size) {
  const ssize_t consumed = nghttp2_session_mem_recv(session_, data, size);
  if (consumed < 0) {
    spdlog::debug("http2: receive failed: {}", nghttp2_strerror(static_cast<int>(consumed)));
    OnReceiveFailed(static_cast<int>(consumed));
    Close();
  }
}

void H2Connection::ReadMore() {
  if (closed_) return;
  auto self = self_;
  stream_.ReadSome(boost::asio::buffer(read_buffer_),
                   [this, self](const boost::system::error_code& error, size_t n) {
                            if (closed_) return;
                            if (error) {
                              Close();
                              return;
                            }
                            Feed(read_buffer_.data(), n);
                            if (!closed_) OnActivity();
                            if (closed_) return;
                            Flush();
                            ReadMore();
                          });
}

void H2Connection::Flush() {
  // Flush can be reached again from inside a session callback; the outer call finishes.
  if (closed_ || flushing_ || session_ == nullptr) return;
  flushing_ = true;
  while (write_buffer_.size() < kMaxWriteBatchBytes) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      flushing_ = false;
      Close();
      return;
    }
    if (n == 0) break;
    write_buffer_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  flushing_ = false;
  if (!writing_ && !write_buffer_.empty()) WriteMore();
  if (!writing_ && write_buffer_.empty() && nghttp2_session_want_read(session_) == 0 &&
      nghttp2_session_want_write(session_) == 0) {
    Close();
  }
}

void H2Connection::WriteMore() {
  writing_ = true;
  auto data = std::make_shared<std::string>();
  data->swap(write_buffer_);
  auto self = self_;
  stream_.WriteAll(boost::asio::buffer(*data),
                   [this, self, data](const boost::system::error_code& error, size_t) {
                             writing_ = false;
                             if (closed_) return;
                             if (error) {
                               Close();
                               return;
                             }
                             Flush();
                           });
}

void H2Connection::Close() {
  if (closed_) return;
  closed_ = true;
  stream_.Close();
  OnClosed();
  // Let pending handlers finish with the object alive, then release it.
  auto self = std::move(self_);
  boost::asio::post(stream_.get_executor(), [self] {});
}

}  // namespace switchboard::gateway
