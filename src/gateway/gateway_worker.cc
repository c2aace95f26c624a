#include "gateway/gateway_worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "gateway/transport/leased_stream.h"
#include "gateway/transport/tls_stream.h"

namespace switchboard::gateway {
namespace {

constexpr char kH2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kH2PrefaceBytes = sizeof(kH2Preface) - 1;
// Linux thread names hold 15 characters; "sb-gateway-63" fits.
constexpr char kThreadNamePrefix[] = "sb-gateway-";

}  // namespace

GatewayWorker::GatewayWorker(int index, const GatewayConfig& config)
    : index_(index),
      config_(config),
      upstreams_(io_, &metrics_, static_cast<int32_t>(config.limits.connection_window_bytes)) {}

absl::StatusOr<std::unique_ptr<GatewayWorker>> GatewayWorker::Create(int index,
                                                                     const GatewayConfig& config,
                                                                     const SharedRoutes& shared) {
  std::unique_ptr<GatewayWorker> worker(new GatewayWorker(index, config));
  auto router = Router::Create(config, shared.pool);
  if (!router.ok()) return router.status();
  worker->router_ = std::move(*router);
  worker->transcoder_ = std::make_unique<rest::Transcoder>(shared.pool.get());
  worker->UseShared(shared);
  if (config.static_files.enabled()) {
    auto files = static_files::StaticFiles::Create(config.static_files);
    if (!files.ok()) return files.status();
    worker->static_files_ = std::move(*files);
  }
  worker->health_ =
      std::make_unique<HealthChecker>(worker->io_, worker->router_.get(), &worker->upstreams_);
  GatewayWorker* self = worker.get();
  worker->upstreams_.SetOnConnectionLost(
      [self](const std::string& address) { self->health_->CheckNow(address); });
  worker->health_->SetOnAnswer([self] { self->PublishBackends(); });
  worker->metrics_.SetOnChange(
      [self](bool call_finished) { self->OnMetricsChange(call_finished); });
  // Before the thread starts (which orders it before anything the thread does).
  worker->PublishBackends();
  boost::asio::post(worker->io_, [self] { self->health_->Sync(); });
  return worker;
}

GatewayWorker::~GatewayWorker() {
  Join();
  // Connections still held by handlers the io_context drops may end calls as they go; the
  // counters they touch stay, the backend view they would refresh does not.
  metrics_.SetOnChange(nullptr);
  if (health_) health_->SetOnAnswer(nullptr);
}

void GatewayWorker::Start() {
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
  const std::string name = absl::StrCat(kThreadNamePrefix, index_);
  pthread_setname_np(thread_.native_handle(), name.c_str());
}

void GatewayWorker::Serve(boost::asio::ip::tcp::socket socket,
                          std::shared_ptr<ConnectionLease> lease) {
  // On this worker's own thread (the listener's worker, or a single-loop gateway) the
  // connection starts at once, as it always did; from another it is queued on this loop.
  boost::asio::dispatch(io_, [this, socket = std::move(socket),
                              lease = std::move(lease)]() mutable {
    auto shared = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
    // No codec watches the connection yet: a client that sends nothing, or half the HTTP/2
    // preface, is closed after limits.slow_client_timeout (idle_timeout when that is off), as
    // a stalled HTTP/1.1 request head is.
    const auto timeout = config_.limits.slow_client_timeout.count() > 0
                             ? config_.limits.slow_client_timeout
                             : config_.limits.idle_timeout;
    auto deadline = std::make_shared<boost::asio::steady_timer>(io_, timeout);
    std::weak_ptr<boost::asio::ip::tcp::socket> weak = shared;
    deadline->async_wait([this, weak](const boost::system::error_code& error) {
      auto stalled = weak.lock();
      if (error || !stalled || !stalled->is_open()) return;
      metrics_.SlowClient("unknown", "headers");
      boost::system::error_code ignored;
      stalled->close(ignored);
    });
    Sniff(std::move(shared), std::make_shared<std::string>(), std::move(lease),
          std::move(deadline));
  });
}

std::future<void> GatewayWorker::Post(std::function<void()> task) {
  // Shared with the posted task, which may still run after a late answer.
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> answered = done->get_future();
  boost::asio::post(io_, [task = std::move(task), done] {
    task();
    done->set_value();
  });
  return answered;
}

void GatewayWorker::Join() {
  if (!thread_.joinable()) return;
  work_.reset();
  io_.stop();
  thread_.join();
}

void GatewayWorker::BeginDrain() {
  stopping_ = true;
  health_->Stop();
  // Closing ends the handshake at once with an error; its handler logs it and lets go of the
  // connection (and of its place under the connection limits).
  handshakes_.ForEachOpen([](std::unique_ptr<transport::TlsStream>& tls) {
    if (tls != nullptr) tls->Close();
  });
  downstreams_.ForEachOpen([](DownstreamH2& connection) { connection.BeginDrain(); });
  http1_sessions_.ForEachOpen([](Http1Session& session) { session.BeginDrain(); });
}

size_t GatewayWorker::OpenConnections() const {
  return downstreams_.CountOpen() + http1_sessions_.CountOpen() + websockets_.CountOpen() +
         handshakes_.CountOpen();
}

void GatewayWorker::EndDrain() {
  downstreams_.ForEachOpen([](DownstreamH2& connection) { connection.EndDrain(); });
  http1_sessions_.ForEachOpen([](Http1Session& session) { session.EndDrain(); });
  websockets_.ForEachOpen([](WebSocketBridge& bridge) { bridge.EndDrain(); });
}

void GatewayWorker::Shutdown() {
  downstreams_.ForEachOpen([](DownstreamH2& connection) { connection.Shutdown(); });
  http1_sessions_.ForEachOpen([](Http1Session& session) { session.Shutdown(); });
  websockets_.ForEachOpen([](WebSocketBridge& bridge) { bridge.Shutdown(); });
  upstreams_.CloseAll();
}

void GatewayWorker::UseShared(const SharedRoutes& shared) {
  shared_ = shared;
  web_ = {shared_.routes.get(), transcoder_.get(), shared_.cors.get(), shared_.openapi_json.get()};
  upstreams_.SetTls(shared_.upstream_tls);
}

absl::StatusOr<WorkerReload> GatewayWorker::ApplyReload(const GatewayConfig& config,
                                                        const SharedRoutes& shared) {
  auto removed = router_->Reload(config);
  if (!removed.ok()) return removed.status();
  if (config.static_files.root != config_.static_files.root) {
    // Connections keep the files they started with; new ones get the new root.
    auto files = config.static_files.enabled()
                     ? static_files::StaticFiles::Create(config.static_files)
                     : absl::StatusOr<std::shared_ptr<static_files::StaticFiles>>(nullptr);
    if (files.ok()) {
      static_files_ = std::move(*files);
    } else {
      spdlog::warn("gateway reload: {}; still serving {}", std::string(files.status().message()),
                   config_.static_files.root);
    }
  }
  config_ = config;
  const std::shared_ptr<const UpstreamTlsMap> old_tls = shared_.upstream_tls;
  UseShared(shared);
  // A removed backend that another service still uses keeps its connection.
  std::set<std::string> in_use;
  for (const auto& [name, balancer] : router_->balancers()) {
    for (const auto& endpoint : balancer->endpoints()) in_use.insert(endpoint->address);
  }
  WorkerReload result;
  std::vector<std::string> drain;
  draining_.erase(std::remove_if(draining_.begin(), draining_.end(),
                                 [](const auto& entry) { return entry.second->in_flight == 0; }),
                  draining_.end());
  for (const auto& [service, endpoint] : *removed) {
    result.removed_backends.push_back(absl::StrCat(service, "/", endpoint->address));
    if (in_use.count(endpoint->address) == 0) drain.push_back(endpoint->address);
    draining_.emplace_back(service, endpoint);
  }
  // A backend reached over TLS before or after the reload gets a new connection with the
  // reloaded trust, certificate and name (files may have changed under the same names); the
  // old one finishes its calls. Otherwise a reload turning TLS on would leave calls on h2c.
  for (const auto* tls : {old_tls.get(), shared_.upstream_tls.get()}) {
    if (tls == nullptr) continue;
    for (const auto& [address, unused] : *tls) {
      if (std::find(drain.begin(), drain.end(), address) == drain.end()) drain.push_back(address);
    }
  }
  upstreams_.Drain(drain);
  health_->Sync();
  PublishBackends();
  result.draining_connections = drain.size();
  return result;
}

void GatewayWorker::PublishBackends() {
  size_t count = 0;
  auto add = [&](const std::string& service, const lb::Endpoint& endpoint) {
    if (count == samples_.size()) samples_.emplace_back();
    BackendSample& sample = samples_[count++];
    sample.service.assign(service);
    sample.backend.assign(endpoint.address);
    sample.requests = endpoint.requests;
    sample.in_flight = endpoint.in_flight;
    sample.healthy = endpoint.health.healthy();
    sample.ejected_until = endpoint.outlier.ejected_until();
    sample.draining = endpoint.draining;
    sample.ejections = endpoint.outlier.ejections();
    sample.failures = endpoint.failures;
  };
  for (const auto& [service, balancer] : router_->balancers()) {
    for (const auto& endpoint : balancer->endpoints()) add(service, *endpoint);
  }
  // Drained endpoints leave the page once their last call is done.
  draining_.erase(std::remove_if(draining_.begin(), draining_.end(),
                                 [](const auto& entry) {
                                   return entry.second->in_flight == 0 || !entry.second->draining;
                                 }),
                  draining_.end());
  for (const auto& [service, endpoint] : draining_) add(service, *endpoint);
  samples_.resize(count);
  metrics_.PublishBackends(&samples_);
}

void GatewayWorker::OnMetricsChange(bool call_finished) {
  // A finished call is published before its last bytes can reach the client (the counters
  // of the call are in the same object already), so a client that reads /metrics after its
  // call, over a connection another worker serves, sees it. What the same handler changes
  // after the event (a call's backend picked just after CallStarted, a cancelled call's
  // backend slot given back after CallFinished) is published once that handler is done.
  if (call_finished) PublishBackends();
  if (publish_queued_) return;
  publish_queued_ = true;
  boost::asio::post(io_, [this] {
    publish_queued_ = false;
    PublishBackends();
  });
}

void GatewayWorker::Sniff(std::shared_ptr<boost::asio::ip::tcp::socket> socket,
                          std::shared_ptr<std::string> seen, std::shared_ptr<ConnectionLease> lease,
                          std::shared_ptr<boost::asio::steady_timer> deadline) {
  // Reads until the bytes either are the HTTP/2 preface or cannot be: a short HTTP/1.1
  // request never waits for 24 bytes.
  auto chunk = std::make_shared<std::array<char, kH2PrefaceBytes>>();
  const size_t want = kH2PrefaceBytes - seen->size();
  // The deadline's handler holds the socket weakly; the read holds it (and the lease) until
  // the codec takes over or the connection is gone.
  socket->async_read_some(
      boost::asio::buffer(chunk->data(), want),
      [this, socket, seen, chunk, lease, deadline](const boost::system::error_code& error,
                                                   size_t n) mutable {
        if (error) {
          deadline->cancel();
          return;
        }
        seen->append(chunk->data(), n);
        const bool prefix_matches = std::memcmp(seen->data(), kH2Preface, seen->size()) == 0;
        if (prefix_matches && seen->size() < kH2PrefaceBytes) {
          Sniff(socket, seen, std::move(lease), std::move(deadline));
          return;
        }
        deadline->cancel();
        StartCodec(transport::ByteStream::Plain(std::move(*socket)), prefix_matches,
                   std::move(*seen), std::move(lease));
      });
}

void GatewayWorker::StartCodec(transport::ByteStream stream, bool http2, std::string initial,
                               std::shared_ptr<ConnectionLease> lease) {
  if (lease != nullptr) stream = transport::LeasedStream::Wrap(std::move(stream), std::move(lease));
  GatewayContext context{&io_, &config_, router_.get(), &upstreams_, &metrics_, &web_};
  context.static_files = static_files_;
  if (http2) {
    downstreams_.Add(DownstreamH2::Start(context, std::move(stream), std::move(initial)));
    return;
  }
  Http1Context http1{context, &websockets_};
  http1_sessions_.Add(Http1Session::Start(http1, std::move(stream), std::move(initial)));
}

void GatewayWorker::ServeTls(boost::asio::ip::tcp::socket socket,
                             std::shared_ptr<boost::asio::ssl::context> context,
                             std::shared_ptr<ConnectionLease> lease) {
  boost::asio::dispatch(io_, [this, socket = std::move(socket), context = std::move(context),
                              lease = std::move(lease)]() mutable {
    boost::system::error_code ignored;
    const auto peer = socket.remote_endpoint(ignored);
    // Held by the handshake's handler until it runs, then moved into the connection.
    auto tls = std::make_shared<std::unique_ptr<transport::TlsStream>>(
        std::make_unique<transport::TlsStream>(std::move(socket), std::move(context)));
    handshakes_.Add(tls);
    (*tls)->StartHandshake(
        transport::TlsStream::Handshake::server, config_.tls.handshake_timeout,
        [this, tls, peer, lease](const boost::system::error_code& error) {
          if (error || stopping_) {
            // A plaintext request, a client that stalls, a certificate that does not verify;
            // or the gateway stopping (a handshake it cut, or one that ended as it began).
            std::string why = error.message();
            if (stopping_) {
              why = "closed: the gateway is shutting down";
            } else if (error == boost::asio::error::timed_out) {
              why = absl::StrCat("not finished within ", config_.tls.handshake_timeout.count(),
                                 " ms");
            }
            spdlog::info("gateway tls: handshake with {} failed: {}",
                         absl::StrCat(peer.address().to_string(), ":", peer.port()), why);
            (*tls)->Close();
            return;
          }
          const bool http2 = (*tls)->alpn() == "h2";
          StartCodec(transport::ByteStream(std::move(*tls)), http2, {}, lease);
        });
  });
}

}  // namespace switchboard::gateway
