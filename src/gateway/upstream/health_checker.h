// Active health checks: grpc.health.v1.Health/Check for each route's service name against
// each of its backends every interval, over the same pooled HTTP/2 connections the calls use.
// NOT_SERVING, an error or no answer within the timeout count against a backend; SERVING for
// it. Runs on the event loop thread.
#pragma once

#include <boost/asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "lb/balancer.h"
#include "lb/health_wire.h"

namespace switchboard::gateway {

class Router;
class UpstreamPool;

class HealthChecker {
 public:
  HealthChecker(boost::asio::io_context& io, Router* router, UpstreamPool* pool)
      : io_(io), router_(router), pool_(pool) {}
  // Starts checking every service that has checks enabled and is not checked yet (after the
  // start and after each reload); services gone or turned off stop at their next tick.
  void Sync();
  void Stop();
  // An established connection to `address` was lost: check it now instead of at the next tick.
  void CheckNow(const std::string& address);
  // Told after each answer has been recorded (an endpoint's health may have changed), on the
  // loop thread: the worker publishes what /metrics shows of its backends then.
  void SetOnAnswer(std::function<void()> on_answer) { on_answer_ = std::move(on_answer); }

 private:
  void Tick(const std::string& service);
  void Probe(const std::shared_ptr<lb::Balancer>& balancer,
             const std::shared_ptr<lb::Endpoint>& endpoint, bool by_service_name);
  void OnAnswer(const std::shared_ptr<lb::Balancer>& balancer,
                const std::shared_ptr<lb::Endpoint>& endpoint, bool by_service_name,
                lb::HealthAnswer answer);
  void RecordAnswer(const std::shared_ptr<lb::Balancer>& balancer,
                    const std::shared_ptr<lb::Endpoint>& endpoint, bool by_service_name,
                    lb::HealthAnswer answer);

  boost::asio::io_context& io_;
  Router* router_;
  UpstreamPool* pool_;
  bool stopped_ = false;
  std::map<std::string, std::unique_ptr<boost::asio::steady_timer>> timers_;
  // Endpoints with a check under way (held alive by it), so checks never pile up.
  std::set<const lb::Endpoint*> probing_;
  // Backends whose health service does not know per-service names (grpc++'s default one
  // knows only ""): asked about the whole server instead.
  std::set<std::string> server_level_;
  // Backends that answered UNIMPLEMENTED (or HTTP 404): not checked until reconnected.
  std::set<std::string> without_health_service_;
  std::function<void()> on_answer_;
};

}  // namespace switchboard::gateway
