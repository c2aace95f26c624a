#include "gateway/gateway_server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/auth/authenticator.h"
#include "gateway/rest/openapi.h"
#include "gateway/transport/tls_context.h"
#include "gateway/upstream/upstream_tls.h"

namespace switchboard::gateway {
namespace {

constexpr auto kEndingWriteTime = std::chrono::milliseconds(500);
constexpr auto kLoopAnswerTime = std::chrono::seconds(2);
constexpr auto kDrainPollInterval = std::chrono::milliseconds(10);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
constexpr auto kRefusalLogInterval = std::chrono::seconds(1);
// Descriptors beyond limits.max_connections: backend connections, files, the listeners.
constexpr rlim_t kSpareDescriptors = 1024;
// Written to a plaintext client over a limit without reading its request: whichever protocol
// it speaks, it learns why (an HTTP/2 client sees a broken preface and gives up).
constexpr char kBusyResponse[] =
    "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: text/plain\r\n"
    "content-length: 34\r\n\r\ntoo many connections, retry later\n";

// Raises the soft descriptor limit towards the hard one, as far as limits.max_connections
// needs: the default soft limit (often 1024) would make accept fail long before it.
void RaiseDescriptorLimit(int64_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + kSpareDescriptors;
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted) {
    spdlog::warn("gateway: limits.max_connections is {} but only {} file descriptors are allowed",
                 max_connections, static_cast<uint64_t>(limit.rlim_cur));
  }
}

std::vector<std::string> ServiceNames(const GatewayConfig& config) {
  std::vector<std::string> names;
  for (const auto& [name, route] : config.services) names.push_back(name);
  return names;
}

absl::StatusOr<std::shared_ptr<const grpcweb::CorsPolicy>> MakeCors(const GatewayConfig& config) {
  grpcweb::CorsConfig cors;
  cors.allow_origins = config.cors_allow_origins;
  auto policy = grpcweb::CorsPolicy::Create(cors);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cors: ", policy.status().message()));
  }
  return std::make_shared<const grpcweb::CorsPolicy>(std::move(*policy));
}

}  // namespace

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(const GatewayConfig& config) {
  // The YAML parser checks the range too; a config built in code is checked here.
  if (config.workers < GatewayConfig::kMinWorkers || config.workers > GatewayConfig::kMaxWorkers) {
    return absl::InvalidArgumentError(absl::StrCat("workers: ", config.workers, " is outside ",
                                                   GatewayConfig::kMinWorkers, "..",
                                                   GatewayConfig::kMaxWorkers));
  }
  std::unique_ptr<GatewayServer> server(new GatewayServer(config));
  server->connection_limiter_ = ConnectionLimiter::Create(
      config.limits.max_connections, config.limits.max_connections_per_client);
  RaiseDescriptorLimit(config.limits.max_connections);
  auto pool = Router::LoadDescriptors(config);
  if (!pool.ok()) return pool.status();
  if (auto checked = Router::CheckServices(config, **pool); !checked.ok()) return checked;
  auto routes = rest::RouteTable::Build(**pool, ServiceNames(config));
  if (!routes.ok()) return routes.status();
  auto cors = MakeCors(config);
  if (!cors.ok()) return cors.status();
  SharedRoutes& shared = server->shared_;
  shared.pool = std::move(*pool);
  shared.routes = std::make_shared<const rest::RouteTable>(std::move(*routes));
  shared.cors = std::move(*cors);
  shared.openapi_json = std::make_shared<const std::string>(rest::GenerateOpenApi(*shared.routes));
  auto upstream_tls = MakeUpstreamTls(config);
  if (!upstream_tls.ok()) return upstream_tls.status();
  shared.upstream_tls = std::move(*upstream_tls);
  std::vector<const GatewayMetrics*> group;
  for (int i = 0; i < config.workers; ++i) {
    auto worker = GatewayWorker::Create(i, config, shared);
    if (!worker.ok()) return worker.status();
    group.push_back(&(*worker)->metrics());
    server->workers_.push_back(std::move(*worker));
  }
  // Whichever worker answers /metrics shows the sums over all of them.
  for (auto& worker : server->workers_) worker->metrics().SetGroup(group);
  if (config.tls.enabled()) {
    auto context = transport::MakeServerTlsContext(
        {config.tls.cert_file, config.tls.key_file, config.tls.client_ca_file});
    if (!context.ok()) return context.status();
    server->tls_context_ = std::move(*context);
  }
  if (config.plaintext) {
    if (auto s = server->Listen(config.listen_host, config.listen_port, &server->acceptor_,
                                &server->port_);
        !s.ok()) {
      return s;
    }
    server->Accept(*server->acceptor_, false);
  }
  if (config.tls.enabled()) {
    if (auto s = server->Listen(config.tls.listen_host, config.tls.listen_port,
                                &server->tls_acceptor_, &server->tls_port_);
        !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("tls.listen: ", s.message()));
    }
    server->Accept(*server->tls_acceptor_, true);
  }
  for (auto& worker : server->workers_) worker->Start();
  // The keys of jwks_uri providers arrive while the gateway already serves: a key server
  // that is down refuses those providers' tokens (UNAUTHENTICATED, "not available yet")
  // instead of keeping every other route from starting.
  if (config.auth.authenticator != nullptr) config.auth.authenticator->StartKeyRefresh();
  server->running_ = true;
  return server;
}

GatewayServer::~GatewayServer() {
  Stop();
  // A server that failed to start never ran its workers; their loops stop with them.
  acceptor_.reset();
  tls_acceptor_.reset();
  for (auto& worker : workers_) worker->Join();
}

// One listener dealing connections in turn rather than a listening socket per worker
// (SO_REUSEPORT): the kernel spreads SO_REUSEPORT connections by a hash of their addresses,
// so two connections may well land on one worker, and connections queued on a worker's socket
// when it closes are reset instead of served. Dealt in turn, connection i goes to worker
// i mod N (tests rely on it), and one close at Stop ends the taking of connections for all.
// The dealing costs the first worker one accept per connection, which is small beside what a
// connection carries.
absl::Status GatewayServer::Listen(const std::string& host, uint16_t port,
                                   std::optional<boost::asio::ip::tcp::acceptor>* acceptor,
                                   uint16_t* bound) {
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(host, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("listen: \"", host, "\" is not an IP address"));
  }
  boost::asio::ip::tcp::endpoint endpoint(address, port);
  auto& bound_acceptor = acceptor->emplace(workers_.front()->io());
  bound_acceptor.open(endpoint.protocol(), error);
  if (!error) bound_acceptor.set_option(boost::asio::socket_base::reuse_address(true), error);
  if (!error) bound_acceptor.bind(endpoint, error);
  if (!error) bound_acceptor.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, ": ", error.message()));
  }
  *bound = bound_acceptor.local_endpoint().port();
  return absl::OkStatus();
}

void GatewayServer::Accept(boost::asio::ip::tcp::acceptor& acceptor, bool tls) {
  GatewayWorker& target = *workers_[next_worker_];
  // The socket is made on the target's loop, so only that loop ever touches it. Both
  // acceptors run on the first loop, so next_worker_ needs no lock.
  acceptor.async_accept(
      target.io().get_executor(),
      [this, &target, &acceptor, tls](const boost::system::error_code& error,
                                      boost::asio::ip::tcp::socket socket) {
        if (error == boost::asio::error::operation_aborted) return;
        if (error) {
          AcceptLater(acceptor, tls);
          return;
        }
        boost::system::error_code ignored;
        const auto peer = socket.remote_endpoint(ignored);
        ConnectionLimiter::Refusal refusal = ConnectionLimiter::Refusal::kNone;
        auto lease = connection_limiter_->Admit(peer.address(), &refusal);
        if (lease == nullptr) {
          Refuse(socket, tls, refusal);
        } else {
          next_worker_ = (next_worker_ + 1) % workers_.size();
          if (tls) {
            target.ServeTls(std::move(socket), tls_context(), std::move(lease));
          } else {
            target.Serve(std::move(socket), std::move(lease));
          }
        }
        Accept(acceptor, tls);
      });
}

void GatewayServer::AcceptLater(boost::asio::ip::tcp::acceptor& acceptor, bool tls) {
  auto timer = std::make_shared<boost::asio::steady_timer>(acceptor.get_executor(),
                                                           kAcceptRetryDelay);
  timer->async_wait([this, timer, &acceptor, tls](const boost::system::error_code& error) {
    if (!error && acceptor.is_open()) Accept(acceptor, tls);
  });
}

void GatewayServer::Refuse(boost::asio::ip::tcp::socket& socket, bool tls,
                           ConnectionLimiter::Refusal refusal) {
  const int fd = socket.native_handle();
  if (!tls) {
    // What the client sent already is read and dropped first: closing a socket with unread
    // bytes resets the connection, and the reset could reach the client before the 503.
    char discard[4096];
    for (int i = 0; i < 4 && ::recv(fd, discard, sizeof(discard), MSG_DONTWAIT) > 0; ++i) {
    }
    (void)!::send(fd, kBusyResponse, sizeof(kBusyResponse) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  boost::system::error_code ignored;
  const auto peer = socket.remote_endpoint(ignored);
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  // The acceptors' loop is the first worker's: its metrics are written by it alone.
  workers_.front()->metrics().ConnectionRefused(RefusalLabel(refusal));
  ++refused_unlogged_;
  const auto now = std::chrono::steady_clock::now();
  if (now - refusal_logged_at_ < kRefusalLogInterval) return;
  refusal_logged_at_ = now;
  spdlog::warn(
      "gateway: connection from {} refused over limits.{} ({} refused since the last such line, "
      "{} open)",
      peer.address().to_string(), RefusalLabel(refusal), refused_unlogged_,
      connection_limiter_->open());
  refused_unlogged_ = 0;
}

std::shared_ptr<boost::asio::ssl::context> GatewayServer::tls_context() {
  std::lock_guard<std::mutex> lock(tls_mutex_);
  return tls_context_;
}

void GatewayServer::ReloadTlsContext(const GatewayConfig& config) {
  if (!config.tls.enabled()) return;
  auto context = transport::MakeServerTlsContext(
      {config.tls.cert_file, config.tls.key_file, config.tls.client_ca_file});
  if (!context.ok()) {
    spdlog::warn("gateway reload: TLS files kept as they were: {}",
                 std::string(context.status().message()));
    return;
  }
  std::lock_guard<std::mutex> lock(tls_mutex_);
  tls_context_ = std::move(*context);
}

void GatewayServer::RunOnLoops(const std::function<void(GatewayWorker&)>& task,
                               std::vector<bool>* answering) {
  std::vector<std::optional<std::future<void>>> answers(workers_.size());
  for (size_t i = 0; i < workers_.size(); ++i) {
    // `task` copied: a loop that answers late still runs it after this returned.
    if ((*answering)[i]) {
      answers[i] = workers_[i]->Post([task, worker = workers_[i].get()] { task(*worker); });
    }
  }
  // One deadline for all: the loops work at the same time.
  const auto deadline = std::chrono::steady_clock::now() + kLoopAnswerTime;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (!answers[i] || answers[i]->wait_until(deadline) == std::future_status::ready) continue;
    (*answering)[i] = false;
    spdlog::warn("gateway: worker {} did not answer within {} ms while stopping", i,
                 kLoopAnswerTime.count());
  }
}

size_t GatewayServer::OpenConnections(std::vector<bool>* answering) {
  // Shared with the tasks: one that runs late writes into it after this returned.
  auto open = std::make_shared<std::vector<size_t>>(workers_.size(), 0);
  RunOnLoops([open](GatewayWorker& worker) { (*open)[worker.index()] = worker.OpenConnections(); },
             answering);
  size_t total = 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if ((*answering)[i]) total += (*open)[i];
  }
  return total;
}

void GatewayServer::WaitForConnectionsToClose(std::chrono::milliseconds timeout,
                                              std::vector<bool>* answering) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (OpenConnections(answering) > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kDrainPollInterval);
  }
}

void GatewayServer::Stop() {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (!running_) return;
  running_ = false;
  // Every step runs on every worker at once, so all of them drain within the one grace; a
  // worker that does not answer a step is stopped where it is.
  std::vector<bool> answering(workers_.size(), true);
  // The listener first and alone: a connection it dealt before closing is queued on its
  // worker ahead of that worker's drain, so no connection escapes the drain.
  std::vector<bool> listener_only(workers_.size(), false);
  listener_only[0] = true;
  RunOnLoops(
      [this](GatewayWorker&) {
        boost::system::error_code ignored;
        if (acceptor_) acceptor_->close(ignored);
        if (tls_acceptor_) tls_acceptor_->close(ignored);
      },
      &listener_only);
  answering[0] = listener_only[0];
  RunOnLoops([](GatewayWorker& worker) { worker.BeginDrain(); }, &answering);
  WaitForConnectionsToClose(config_.limits.shutdown_grace, &answering);
  RunOnLoops([](GatewayWorker& worker) { worker.EndDrain(); }, &answering);
  // Time for those endings to be written; a client that reads nothing is cut off after it.
  WaitForConnectionsToClose(kEndingWriteTime, &answering);
  // Backends see their connections end instead of waiting on them.
  RunOnLoops([](GatewayWorker& worker) { worker.Shutdown(); }, &answering);
  for (auto& worker : workers_) worker->Join();
}

absl::StatusOr<SharedRoutes> GatewayServer::Validate(const GatewayConfig& config) const {
  if (config.plaintext != config_.plaintext || config.listen_host != config_.listen_host ||
      config.listen_port != config_.listen_port) {
    return absl::FailedPreconditionError(absl::StrCat("listen: changing ", config_.listen_host, ":",
                                                      config_.listen_port, " needs a restart"));
  }
  if (config.tls.enabled() != config_.tls.enabled() ||
      config.tls.listen_host != config_.tls.listen_host ||
      config.tls.listen_port != config_.tls.listen_port) {
    return absl::FailedPreconditionError(
        "tls.listen: turning the TLS listener on or off or moving it needs a restart");
  }
  if (config.workers != config_.workers) {
    return absl::FailedPreconditionError(absl::StrCat("workers: changing ", config_.workers, " to ",
                                                      config.workers, " needs a restart"));
  }
  if (config.descriptors != config_.descriptors) {
    return absl::FailedPreconditionError(
        "descriptors: the list of descriptor sets changed; restart the gateway to load new ones");
  }
  if (auto checked = Router::CheckServices(config, *shared_.pool); !checked.ok()) return checked;
  SharedRoutes next = shared_;
  // REST routes depend only on which services are listed; rebuilt only when that changes.
  if (ServiceNames(config) != ServiceNames(config_)) {
    auto built = rest::RouteTable::Build(*shared_.pool, ServiceNames(config));
    if (!built.ok()) return built.status();
    next.routes = std::make_shared<const rest::RouteTable>(std::move(*built));
    next.openapi_json = std::make_shared<const std::string>(rest::GenerateOpenApi(*next.routes));
  }
  if (config.cors_allow_origins != config_.cors_allow_origins) {
    auto cors = MakeCors(config);
    if (!cors.ok()) return cors.status();
    next.cors = std::move(*cors);
  }
  auto upstream_tls = MakeUpstreamTls(config);
  if (!upstream_tls.ok()) return upstream_tls.status();
  next.upstream_tls = std::move(*upstream_tls);
  return next;
}

absl::Status GatewayServer::Reload(const GatewayConfig& config) {
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (!running_) return absl::FailedPreconditionError("the gateway is not running");
  auto next = Validate(config);
  if (!next.ok()) return next.status();
  connection_limiter_->SetLimits(config.limits.max_connections,
                                 config.limits.max_connections_per_client);
  // Applied on every loop at once; each goes on serving the moment it has applied.
  auto shared_config = std::make_shared<const GatewayConfig>(config);
  auto shared_next = std::make_shared<const SharedRoutes>(*next);
  std::vector<std::future<absl::StatusOr<WorkerReload>>> applied;
  for (auto& worker : workers_) {
    auto done = std::make_shared<std::promise<absl::StatusOr<WorkerReload>>>();
    applied.push_back(done->get_future());
    boost::asio::post(worker->io(), [worker = worker.get(), done, shared_config, shared_next] {
      done->set_value(worker->ApplyReload(*shared_config, *shared_next));
    });
  }
  std::vector<absl::StatusOr<WorkerReload>> results;
  for (auto& answer : applied) results.push_back(answer.get());
  if (shared_.routes != next->routes) retired_.push_back(shared_.routes);
  if (shared_.openapi_json != next->openapi_json) retired_.push_back(shared_.openapi_json);
  if (shared_.cors != next->cors) retired_.push_back(shared_.cors);
  shared_ = *next;
  config_ = config;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      // Validation let through what a worker's router refused: the workers now differ.
      return absl::InternalError(absl::StrCat(
          "worker ", i, " refused a validated reload: ", results[i].status().message()));
    }
  }
  // Only a reload every worker took gets the new certificate, and fetches its own keys (the
  // replaced configuration's refreshers stop once the last call holding them is done).
  ReloadTlsContext(config);
  if (config.auth.authenticator != nullptr) config.auth.authenticator->StartKeyRefresh();
  // Every worker applied the same configuration to the same backends: one line for all.
  const WorkerReload& first = *results.front();
  spdlog::info(
      "gateway reloaded services={} removed_backends=[{}] draining_connections={} workers={}",
      config_.services.size(), absl::StrJoin(first.removed_backends, ","),
      first.draining_connections, workers_.size());
  return absl::OkStatus();
}

}  // namespace switchboard::gateway
