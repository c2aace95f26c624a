#include "gateway/gateway_server.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway {
namespace {

constexpr char kH2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kH2PrefaceBytes = sizeof(kH2Preface) - 1;
constexpr char kHttp1Refusal[] =
    "HTTP/1.1 505 HTTP Version Not Supported\r\ncontent-type: text/plain\r\nconnection: close\r\n"
    "content-length: 70\r\n\r\nthis port speaks HTTP/2 without TLS (h2c prior knowledge) for now.\n\n";

}  // namespace

GatewayServer::GatewayServer(const GatewayConfig& config)
    : config_(config), acceptor_(io_), upstreams_(io_) {}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(const GatewayConfig& config) {
  std::unique_ptr<GatewayServer> server(new GatewayServer(config));
  auto router = Router::Create(server->config_);
  if (!router.ok()) return router.status();
  server->router_ = std::move(*router);
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(config.listen_host, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: \"", config.listen_host, "\" is not an IP address"));
  }
  boost::asio::ip::tcp::endpoint endpoint(address, config.listen_port);
  server->acceptor_.open(endpoint.protocol(), error);
  if (!error) server->acceptor_.set_option(boost::asio::socket_base::reuse_address(true), error);
  if (!error) server->acceptor_.bind(endpoint, error);
  if (!error) server->acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen_host, ":",
                                               config.listen_port, ": ", error.message()));
  }
  server->port_ = server->acceptor_.local_endpoint().port();
  server->Accept();
  server->thread_ = std::thread([s = server.get()] { s->io_.run(); });
  return server;
}

GatewayServer::~GatewayServer() { Stop(); }

void GatewayServer::Stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

void GatewayServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error,
                                boost::asio::ip::tcp::socket socket) {
    if (!error) {
      Sniff(std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket)));
    } else if (error == boost::asio::error::operation_aborted) {
      return;
    }
    Accept();
  });
}

void GatewayServer::Sniff(std::shared_ptr<boost::asio::ip::tcp::socket> socket) {
  auto buffer = std::make_shared<std::string>(kH2PrefaceBytes, '\0');
  boost::asio::async_read(
      *socket, boost::asio::buffer(*buffer),
      [this, socket, buffer](const boost::system::error_code& error, size_t) {
        if (error) return;
        if (std::memcmp(buffer->data(), kH2Preface, kH2PrefaceBytes) == 0) {
          GatewayContext context{&io_, &config_, router_.get(), &upstreams_};
          DownstreamH2::Start(context, std::move(*socket), std::move(*buffer));
          return;
        }
        boost::asio::async_write(*socket, boost::asio::buffer(kHttp1Refusal, sizeof(kHttp1Refusal) - 1),
                                 [socket](const boost::system::error_code&, size_t) {});
      });
}

}  // namespace switchboard::gateway
