#include "gateway/gateway_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <future>
#include <optional>
#include <set>

#include "gateway/rest/openapi.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchboard::gateway {
namespace {

constexpr char kH2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kH2PrefaceBytes = sizeof(kH2Preface) - 1;
constexpr auto kEndingWriteTime = std::chrono::milliseconds(500);
constexpr auto kLoopAnswerTime = std::chrono::seconds(2);
constexpr auto kDrainPollInterval = std::chrono::milliseconds(10);

}  // namespace

GatewayServer::GatewayServer(const GatewayConfig& config)
    : config_(config),
      acceptor_(io_),
      upstreams_(io_, &metrics_, static_cast<int32_t>(config.limits.connection_window_bytes)) {}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(const GatewayConfig& config) {
  std::unique_ptr<GatewayServer> server(new GatewayServer(config));
  auto router = Router::Create(server->config_);
  if (!router.ok()) return router.status();
  server->router_ = std::move(*router);
  std::vector<std::string> names;
  for (const auto& [name, route] : server->config_.services) names.push_back(name);
  auto routes = rest::RouteTable::Build(server->router_->pool(), names);
  if (!routes.ok()) return routes.status();
  server->routes_ = std::make_unique<rest::RouteTable>(std::move(*routes));
  server->transcoder_ = std::make_unique<rest::Transcoder>(&server->router_->pool());
  grpcweb::CorsConfig cors;
  cors.allow_origins = config.cors_allow_origins;
  auto policy = grpcweb::CorsPolicy::Create(cors);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cors: ", policy.status().message()));
  }
  server->cors_ = std::make_unique<grpcweb::CorsPolicy>(std::move(*policy));
  server->openapi_json_ = rest::GenerateOpenApi(*server->routes_);
  server->web_ = {server->routes_.get(), server->transcoder_.get(), server->cors_.get(),
                  &server->openapi_json_};
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
  server->metrics_.SetBackendSource([s = server.get()] { return s->BackendSamples(); });
  server->health_ = std::make_unique<HealthChecker>(server->io_, server->router_.get(),
                                                     &server->upstreams_);
  server->upstreams_.SetOnConnectionLost(
      [s = server.get()](const std::string& address) { s->health_->CheckNow(address); });
  boost::asio::post(server->io_, [s = server.get()] { s->health_->Sync(); });
  server->Accept();
  server->work_.emplace(server->io_.get_executor());
  server->thread_ = std::thread([s = server.get()] { s->io_.run(); });
  return server;
}

GatewayServer::~GatewayServer() { Stop(); }

void GatewayServer::Stop() {
  if (!thread_.joinable()) return;
  // Each step needs the loop to answer; one that does not is stopped where it is.
  auto grace = std::make_shared<std::chrono::milliseconds>(0);
  bool answering = RunOnLoop([this, grace] {
    *grace = config_.limits.shutdown_grace;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    health_->Stop();
    downstreams_.ForEachOpen([](DownstreamH2& connection) { connection.BeginDrain(); });
    http1_sessions_.ForEachOpen([](Http1Session& session) { session.BeginDrain(); });
  });
  answering = answering && WaitForConnectionsToClose(*grace);
  answering = answering && RunOnLoop([this] {
                downstreams_.ForEachOpen([](DownstreamH2& connection) { connection.EndDrain(); });
                http1_sessions_.ForEachOpen([](Http1Session& session) { session.EndDrain(); });
                websockets_.ForEachOpen([](WebSocketBridge& bridge) { bridge.EndDrain(); });
              });
  // Time for those endings to be written; a client that reads nothing is cut off after it.
  answering = answering && WaitForConnectionsToClose(kEndingWriteTime);
  // Backends see their connections end instead of waiting on them.
  if (answering) {
    RunOnLoop([this] {
      downstreams_.ForEachOpen([](DownstreamH2& connection) { connection.Shutdown(); });
      http1_sessions_.ForEachOpen([](Http1Session& session) { session.Shutdown(); });
      websockets_.ForEachOpen([](WebSocketBridge& bridge) { bridge.Shutdown(); });
      upstreams_.CloseAll();
    });
  }
  work_.reset();
  io_.stop();
  thread_.join();
}

bool GatewayServer::RunOnLoop(std::function<void()> task) {
  // Shared with the posted task, which may still run (before io_.stop) after a late answer.
  auto done = std::make_shared<std::promise<void>>();
  auto answered = done->get_future();
  boost::asio::post(io_, [task = std::move(task), done] {
    task();
    done->set_value();
  });
  if (answered.wait_for(kLoopAnswerTime) == std::future_status::ready) return true;
  spdlog::warn("gateway: the event loop did not answer within {} ms while stopping",
               kLoopAnswerTime.count());
  return false;
}

std::optional<size_t> GatewayServer::OpenConnections() {
  auto open = std::make_shared<size_t>(0);
  if (!RunOnLoop([this, open] {
        *open = downstreams_.CountOpen() + http1_sessions_.CountOpen() + websockets_.CountOpen();
      })) {
    return std::nullopt;
  }
  return *open;
}

bool GatewayServer::WaitForConnectionsToClose(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const std::optional<size_t> open = OpenConnections();
    if (!open) return false;
    if (*open == 0 || std::chrono::steady_clock::now() >= deadline) return true;
    std::this_thread::sleep_for(kDrainPollInterval);
  }
}

absl::Status GatewayServer::Reload(const GatewayConfig& config) {
  if (!thread_.joinable()) return absl::FailedPreconditionError("the gateway is not running");
  std::promise<absl::Status> done;
  auto result = done.get_future();
  boost::asio::post(io_, [this, &config, &done] { done.set_value(ReloadOnLoop(config)); });
  return result.get();
}

absl::Status GatewayServer::ReloadOnLoop(const GatewayConfig& config) {
  if (config.listen_host != config_.listen_host || config.listen_port != config_.listen_port) {
    return absl::FailedPreconditionError(
        absl::StrCat("listen: changing ", config_.listen_host, ":", config_.listen_port,
                     " needs a restart"));
  }
  std::vector<std::string> names;
  for (const auto& [name, route] : config.services) names.push_back(name);
  std::vector<std::string> old_names;
  for (const auto& [name, route] : config_.services) old_names.push_back(name);
  // REST routes depend only on which services are listed; rebuilt only when that changes.
  std::optional<rest::RouteTable> routes;
  if (names != old_names) {
    auto built = rest::RouteTable::Build(router_->pool(), names);
    if (!built.ok()) return built.status();
    routes.emplace(std::move(*built));
  }
  grpcweb::CorsConfig cors_config;
  cors_config.allow_origins = config.cors_allow_origins;
  auto cors = grpcweb::CorsPolicy::Create(cors_config);
  if (!cors.ok()) return absl::InvalidArgumentError(absl::StrCat("cors: ", cors.status().message()));
  auto removed = router_->Reload(config);
  if (!removed.ok()) return removed.status();
  config_ = config;
  *cors_ = std::move(*cors);
  if (routes) {
    // REST calls in flight point at their Route: the old routes move (their vector's buffer
    // with them) into a retired table that outlives the calls.
    retired_routes_.push_back(std::make_unique<rest::RouteTable>(std::move(*routes_)));
    *routes_ = std::move(*routes);
    openapi_json_ = rest::GenerateOpenApi(*routes_);
  }
  // A removed backend that another service still uses keeps its connection.
  std::set<std::string> in_use;
  for (const auto& [name, balancer] : router_->balancers()) {
    for (const auto& endpoint : balancer->endpoints()) in_use.insert(endpoint->address);
  }
  std::vector<std::string> drain;
  std::vector<std::string> removed_names;
  draining_.erase(std::remove_if(draining_.begin(), draining_.end(),
                                 [](const auto& entry) { return entry.second->in_flight == 0; }),
                  draining_.end());
  for (const auto& [service, endpoint] : *removed) {
    removed_names.push_back(absl::StrCat(service, "/", endpoint->address));
    if (in_use.count(endpoint->address) == 0) drain.push_back(endpoint->address);
    draining_.emplace_back(service, endpoint);
  }
  upstreams_.Drain(drain);
  health_->Sync();
  spdlog::info("gateway reloaded services={} removed_backends=[{}] draining_connections={}",
               config_.services.size(), absl::StrJoin(removed_names, ","), drain.size());
  return absl::OkStatus();
}

std::vector<BackendSample> GatewayServer::BackendSamples() {
  std::vector<BackendSample> samples;
  const auto now = lb::Clock::now();
  auto add = [&](const std::string& service, const lb::Endpoint& endpoint) {
    BackendSample sample;
    sample.service = service;
    sample.backend = endpoint.address;
    sample.requests = endpoint.requests;
    sample.in_flight = endpoint.in_flight;
    sample.healthy = endpoint.health.healthy();
    sample.ejected = endpoint.outlier.Ejected(now);
    sample.draining = endpoint.draining;
    sample.ejections = endpoint.outlier.ejections();
    sample.failures = endpoint.failures;
    samples.push_back(sample);
  };
  for (const auto& [service, balancer] : router_->balancers()) {
    for (const auto& endpoint : balancer->endpoints()) add(service, *endpoint);
  }
  // Drained endpoints leave the page once their last call is done.
  draining_.erase(std::remove_if(draining_.begin(), draining_.end(),
                                 [](const auto& entry) {
                                   return entry.second->in_flight == 0 ||
                                          !entry.second->draining;
                                 }),
                  draining_.end());
  for (const auto& [service, endpoint] : draining_) add(service, *endpoint);
  return samples;
}

void GatewayServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error,
                                boost::asio::ip::tcp::socket socket) {
    if (!error) {
      Sniff(std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket)),
            std::make_shared<std::string>());
    } else if (error == boost::asio::error::operation_aborted) {
      return;
    }
    Accept();
  });
}

void GatewayServer::Sniff(std::shared_ptr<boost::asio::ip::tcp::socket> socket,
                          std::shared_ptr<std::string> seen) {
  // Reads until the bytes either are the HTTP/2 preface or cannot be: a short HTTP/1.1
  // request never waits for 24 bytes.
  auto chunk = std::make_shared<std::array<char, kH2PrefaceBytes>>();
  const size_t want = kH2PrefaceBytes - seen->size();
  socket->async_read_some(
      boost::asio::buffer(chunk->data(), want),
      [this, socket, seen, chunk](const boost::system::error_code& error, size_t n) {
        if (error) return;
        seen->append(chunk->data(), n);
        const bool prefix_matches = std::memcmp(seen->data(), kH2Preface, seen->size()) == 0;
        if (prefix_matches && seen->size() < kH2PrefaceBytes) {
          Sniff(socket, seen);
          return;
        }
        GatewayContext context{&io_, &config_, router_.get(), &upstreams_, &metrics_, &web_};
        if (prefix_matches) {
          downstreams_.Add(DownstreamH2::Start(context, std::move(*socket), std::move(*seen)));
          return;
        }
        Http1Context http1{context,      routes_.get(),  transcoder_.get(),
                           cors_.get(),  &openapi_json_, &websockets_};
        http1_sessions_.Add(Http1Session::Start(http1, std::move(*socket), std::move(*seen)));
      });
}

}  // namespace switchboard::gateway
