#include "gateway/upstream/health_checker.h"

#include <spdlog/spdlog.h>

#include <functional>

#include "gateway/proxy/backend_call.h"
#include "gateway/codec/grpc_status.h"
#include "gateway/codec/http_status.h"
#include "gateway/proxy/downstream_sink.h"
#include "gateway/gateway_metrics.h"
#include "gateway/proxy/router.h"
#include "gateway/upstream/upstream_h2.h"

namespace switchboard::gateway {
namespace {

constexpr int kHttpOk = 200;

// One Check call: the client side of its ProxyStream, collecting the answer.
class HealthProbe : public DownstreamSink, public std::enable_shared_from_this<HealthProbe> {
 public:
  using Done = std::function<void(lb::HealthAnswer)>;

  static void Start(boost::asio::io_context& io, UpstreamPool& pool, const std::string& address,
                    const std::string& service, std::chrono::milliseconds timeout, Done done) {
    auto probe = std::shared_ptr<HealthProbe>(new HealthProbe(io, std::move(done)));
    auto stream = std::make_shared<ProxyStream>();
    stream->path = lb::kHealthCheckPath;
    stream->down = std::static_pointer_cast<DownstreamSink>(probe);
    const std::string frame = lb::HealthCheckRequestFrame(service);
    stream->request_body.Append(frame.data(), frame.size());
    stream->request_ended = true;
    probe->stream_ = stream;
    probe->timer_.expires_after(timeout);
    probe->timer_.async_wait([probe](const boost::system::error_code& error) {
      if (!error) probe->TimedOut();
    });
    auto call = std::make_shared<UpstreamCall>();
    call->stream = stream;
    call->headers = BackendRequestHeaders(lb::kHealthCheckPath, "", {}, timeout);
    pool.Get(address)->Submit(call);
  }

  void StartResponse(ProxyStream& stream, bool end_stream) override {
    if (end_stream) Finish(stream);
  }
  void ResumeResponse(ProxyStream& stream) override {
    if (stream.response_ended) Finish(stream);
  }
  void Fail(ProxyStream& stream, int, const std::string&) override {
    Complete(stream, lb::HealthAnswer::kFailed);
  }
  void Consumed(ProxyStream&, size_t) override {}

 private:
  HealthProbe(boost::asio::io_context& io, Done done)
      : io_(io), timer_(io), done_(std::move(done)) {}

  void Finish(ProxyStream& stream) {
    int status = GrpcStatusOf(FindHeader(stream.trailers, "grpc-status"),
                              FindHeader(stream.response_headers, "grpc-status"));
    if (status < 0) {
      // No grpc-status: an HTTP answer such as a 404 for a path the server does not serve,
      // read as a gRPC client reads it (404 is UNIMPLEMENTED: no health service).
      const int http_status = ParseHttpStatus(FindHeader(stream.response_headers, ":status"));
      if (http_status >= 0 && http_status != kHttpOk) status = GrpcCodeOfHttpStatus(http_status);
    }
    std::string body(stream.response_body.size(), '\0');
    stream.response_body.Take(reinterpret_cast<uint8_t*>(body.data()), body.size());
    if (auto up = stream.up.lock()) up->Consumed(stream, body.size());
    Complete(stream, lb::ParseHealthResponse(status, body));
  }

  void TimedOut() {
    if (finished_) return;
    if (auto up = stream_->up.lock(); up && !stream_->up_closed) up->Cancel(*stream_);
    Complete(*stream_, lb::HealthAnswer::kFailed);
  }

  void Complete(ProxyStream& stream, lb::HealthAnswer answer) {
    if (finished_) return;
    finished_ = true;
    stream.finished = true;  // what else arrives is given back to the window, unread
    timer_.cancel();
    // Reported from a fresh handler: the answer may start another check on the same
    // connection, which must not happen inside its nghttp2 callbacks.
    boost::asio::post(io_, [done = std::move(done_), answer] { done(answer); });
  }

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  Done done_;
  std::shared_ptr<ProxyStream> stream_;
  bool finished_ = false;
};

}  // namespace

void HealthChecker::Sync() {
  if (stopped_) return;
  for (const auto& [service, balancer] : router_->balancers()) {
    if (!balancer->options().health.enabled || timers_.count(service) != 0) continue;
    timers_[service] = std::make_unique<boost::asio::steady_timer>(io_);
    Tick(service);
  }
}

void HealthChecker::Stop() {
  stopped_ = true;
  for (auto& [service, timer] : timers_) timer->cancel();
}

void HealthChecker::Tick(const std::string& service) {
  auto timer = timers_.find(service);
  if (stopped_ || timer == timers_.end()) return;
  auto it = router_->balancers().find(service);
  if (it == router_->balancers().end() || !it->second->options().health.enabled) {
    timers_.erase(timer);
    return;
  }
  const std::shared_ptr<lb::Balancer> balancer = it->second;
  for (const auto& endpoint : balancer->endpoints()) {
    if (probing_.count(endpoint.get()) == 0 &&
        without_health_service_.count(endpoint->address) == 0) {
      Probe(balancer, endpoint, true);
    }
  }
  timer->second->expires_after(balancer->options().health.interval);
  timer->second->async_wait([this, service](const boost::system::error_code& error) {
    if (!error) Tick(service);
  });
}

void HealthChecker::CheckNow(const std::string& address) {
  if (stopped_) return;
  // A new connection may reach a new server at that address, one that has a health service.
  without_health_service_.erase(address);
  for (const auto& [service, balancer] : router_->balancers()) {
    if (!balancer->options().health.enabled) continue;
    for (const auto& endpoint : balancer->endpoints()) {
      if (endpoint->address == address && probing_.count(endpoint.get()) == 0) {
        Probe(balancer, endpoint, true);
      }
    }
  }
}

void HealthChecker::Probe(const std::shared_ptr<lb::Balancer>& balancer,
                          const std::shared_ptr<lb::Endpoint>& endpoint, bool by_service_name) {
  probing_.insert(endpoint.get());
  const bool named = by_service_name && server_level_.count(endpoint->address) == 0;
  HealthProbe::Start(io_, *pool_, endpoint->address, named ? balancer->service() : "",
                     balancer->options().health.timeout,
                     [this, balancer, endpoint, named](lb::HealthAnswer answer) {
                       OnAnswer(balancer, endpoint, named, answer);
                     });
}

void HealthChecker::OnAnswer(const std::shared_ptr<lb::Balancer>& balancer,
                             const std::shared_ptr<lb::Endpoint>& endpoint, bool by_service_name,
                             lb::HealthAnswer answer) {
  probing_.erase(endpoint.get());
  if (stopped_) return;
  RecordAnswer(balancer, endpoint, by_service_name, answer);
  if (on_answer_) on_answer_();
}

void HealthChecker::RecordAnswer(const std::shared_ptr<lb::Balancer>& balancer,
                                 const std::shared_ptr<lb::Endpoint>& endpoint,
                                 bool by_service_name, lb::HealthAnswer answer) {
  if (answer == lb::HealthAnswer::kUnknownService && by_service_name) {
    spdlog::info("health check backend={} does not know service {}: checking the server as a whole",
                 endpoint->address, balancer->service());
    server_level_.insert(endpoint->address);
    Probe(balancer, endpoint, false);
    return;
  }
  if (answer == lb::HealthAnswer::kNoHealthService) {
    // gRFC A17: a server without the health service does not do health checking; checks are
    // off for it (and it is healthy) until its connection is renewed.
    if (without_health_service_.insert(endpoint->address).second) {
      spdlog::info(
          "health check backend={} has no grpc.health.v1.Health: healthy, not checked until "
          "its connection is renewed",
          endpoint->address);
    }
    if (balancer->RecordUncheckable(*endpoint)) {
      spdlog::info("backend healthy service={} backend={}", balancer->service(), endpoint->address);
    }
    return;
  }
  const bool passed = answer == lb::HealthAnswer::kServing;
  if (balancer->RecordCheck(*endpoint, passed)) {
    if (endpoint->health.healthy()) {
      spdlog::info("backend healthy service={} backend={}", balancer->service(), endpoint->address);
    } else {
      spdlog::warn("backend unhealthy service={} backend={}", balancer->service(),
                   endpoint->address);
    }
  }
}

}  // namespace switchboard::gateway
