// A JWKS server for the gateway's tests: HTTPS (Beast over OpenSSL) on 127.0.0.1, a
// certificate from the local CA of `switchboard up --tls`, answering every GET with what the
// test set last; stoppable, so that the port refuses.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/local_tls.h"

namespace switchboard::gateway::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// What the server answers next.
struct Answer {
  http::status status = http::status::ok;
  std::string body;
  std::string location;  // for redirects
};

// An HTTPS server on 127.0.0.1 answering every GET with the current Answer; one thread.
class JwksServer {
 public:
  JwksServer(const cli::LocalTlsFiles& files, Answer answer)
      : tls_(asio::ssl::context::tls_server), answer_(std::move(answer)) {
    tls_.use_certificate_chain_file(files.server_cert);
    tls_.use_private_key_file(files.server_key, asio::ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), port_});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~JwksServer() { Stop(); }

  // Closes the listener and every connection: the port refuses from now on.
  void Stop() {
    if (!thread_.joinable()) return;
    io_.stop();
    thread_.join();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  void Set(Answer answer) {
    std::lock_guard<std::mutex> lock(mutex_);
    answer_ = std::move(answer);
  }
  int requests() const { return requests_.load(); }
  std::string Url() const { return absl::StrCat("https://127.0.0.1:", port_, "/jwks"); }

 private:
  struct Session {
    explicit Session(tcp::socket socket, asio::ssl::context& tls)
        : stream(std::move(socket), tls) {}
    asio::ssl::stream<tcp::socket> stream;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
      if (error) return;
      auto session = std::make_shared<Session>(std::move(socket), tls_);
      session->stream.async_handshake(
          asio::ssl::stream_base::server, [this, session](const boost::system::error_code& e) {
            if (e) return;
            http::async_read(session->stream, session->buffer, session->request,
                             [this, session](const boost::system::error_code& e, size_t) {
                               if (e) return;
                               Respond(session);
                             });
          });
      Accept();
    });
  }

  void Respond(const std::shared_ptr<Session>& session) {
    ++requests_;
    Answer answer;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      answer = answer_;
    }
    session->response.result(answer.status);
    session->response.version(session->request.version());
    session->response.set(http::field::content_type, "application/json");
    if (!answer.location.empty()) session->response.set(http::field::location, answer.location);
    session->response.body() = std::move(answer.body);
    session->response.prepare_payload();
    session->response.keep_alive(false);
    http::async_write(session->stream, session->response,
                      [session](const boost::system::error_code&, size_t) {
                        boost::system::error_code ignored;
                        session->stream.lowest_layer().close(ignored);
                      });
  }

  asio::io_context io_{1};
  asio::ssl::context tls_;
  tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::mutex mutex_;
  Answer answer_;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace switchboard::gateway::testing
