#include "gateway/testing/h2c_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace switchboard::gateway::testing {
namespace {

std::string Find(const HeaderList& list, const std::string& name) {
  for (const auto& [key, value] : list) {
    if (key == name) return value;
  }
  return "";
}

H2cClient* Self(void* user_data) { return static_cast<H2cClient*>(user_data); }

}  // namespace

std::string H2Response::Header(const std::string& name) const { return Find(headers, name); }
std::string H2Response::Trailer(const std::string& name) const { return Find(trailers, name); }

std::string GrpcFrame(const std::string& message, uint8_t flags) {
  std::string frame(5, '\0');
  frame[0] = static_cast<char>(flags);
  const uint32_t size = htonl(static_cast<uint32_t>(message.size()));
  std::memcpy(frame.data() + 1, &size, 4);
  return frame + message;
}

H2cClient::H2cClient(uint16_t port, int32_t stream_window, bool auto_window) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    throw std::runtime_error("h2c test client: connect failed");
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnClose);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  if (!auto_window) nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(stream_window)}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
}

H2cClient::~H2cClient() {
  nghttp2_session_del(session_);
  if (fd_ >= 0) ::close(fd_);
}

int32_t H2cClient::Start(const std::string& method, const std::string& path,
                         const HeaderList& headers, std::string body, bool open) {
  HeaderList all = {{":method", method}, {":scheme", "http"}, {":authority", "127.0.0.1"},
                    {":path", path}};
  all.insert(all.end(), headers.begin(), headers.end());
  std::vector<nghttp2_nv> nv;
  for (auto& [name, value] : all) {
    nv.push_back({reinterpret_cast<uint8_t*>(name.data()), reinterpret_cast<uint8_t*>(value.data()),
                  name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  const bool has_body = !body.empty() || open || method == "POST" || method == "PUT";
  nghttp2_data_provider provider{};
  provider.read_callback = ReadBody;
  const int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                            has_body ? &provider : nullptr, nullptr);
  if (has_body) bodies_[id] = std::move(body);
  open_[id] = open;
  responses_[id];
  Pump(std::chrono::milliseconds(0));
  return id;
}

ssize_t H2cClient::ReadBody(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                            uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
  H2cClient* self = Self(user_data);
  std::string& body = self->bodies_[id];
  const size_t n = std::min(length, body.size());
  std::memcpy(buf, body.data(), n);
  body.erase(0, n);
  if (body.empty()) {
    if (self->open_[id] && n == 0) return NGHTTP2_ERR_DEFERRED;
    if (!self->open_[id]) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  }
  return static_cast<ssize_t>(n);
}

void H2cClient::Send(int32_t id, const std::string& data, bool end) {
  bodies_[id] += data;
  open_[id] = !end;
  nghttp2_session_resume_data(session_, id);
  Pump(std::chrono::milliseconds(0));
}

int H2cClient::OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                        size_t name_len, const uint8_t* value, size_t value_len, uint8_t,
                        void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2Response& response = Self(user_data)->responses_[frame->hd.stream_id];
  std::string key(reinterpret_cast<const char*>(name), name_len);
  std::string val(reinterpret_cast<const char*>(value), value_len);
  if (key == ":status") {
    response.status = std::atoi(val.c_str());
  } else if (response.status != 0 && frame->headers.cat == NGHTTP2_HCAT_HEADERS) {
    response.trailers.emplace_back(std::move(key), std::move(val));
  } else {
    response.headers.emplace_back(std::move(key), std::move(val));
  }
  return 0;
}

int H2cClient::OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                      void* user_data) {
  Self(user_data)->responses_[id].body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int H2cClient::OnClose(nghttp2_session*, int32_t id, uint32_t error_code, void* user_data) {
  H2Response& response = Self(user_data)->responses_[id];
  response.closed = true;
  response.error_code = error_code;
  return 0;
}

bool H2cClient::Pump(std::chrono::milliseconds wait) {
  if (connection_closed_) return false;
  while (nghttp2_session_want_write(session_)) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) break;
    if (::send(fd_, data, static_cast<size_t>(n), MSG_NOSIGNAL) != n) {
      connection_closed_ = true;
      return false;
    }
  }
  pollfd pfd{fd_, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) return true;
  uint8_t buffer[65536];
  const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
  if (n <= 0 || nghttp2_session_mem_recv(session_, buffer, static_cast<size_t>(n)) < 0) {
    connection_closed_ = true;
    return false;
  }
  return true;
}

bool H2cClient::RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    if (!Pump(std::chrono::milliseconds(20))) return done();
  }
  Pump(std::chrono::milliseconds(0));  // what the callbacks queued (window updates) goes out
  return true;
}

H2Response H2cClient::Call(const std::string& method, const std::string& path,
                           const HeaderList& headers, std::string body,
                           std::chrono::milliseconds timeout) {
  const int32_t id = Start(method, path, headers, std::move(body));
  RunUntil([this, id] { return responses_[id].closed; }, timeout);
  return responses_[id];
}

void H2cClient::Cancel(int32_t id) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  Pump(std::chrono::milliseconds(0));
}

}  // namespace switchboard::gateway::testing
