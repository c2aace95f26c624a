// Load balancing through the gateway, end to end: ticket and stock replicas on loopback (in
// process where a test flips their health, `switchboard serve` children where it kills them),
// a real GatewayServer in front, grpc++ clients on one HTTP/2 connection. The spread is read
// from the gateway's own /metrics.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "common/health_probe.h"
#include "common/service_host.h"
#include "gateway/gateway_server.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/fraud/fraud_service.h"
#include "services/stock/stock_service.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/tcp_connections.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr char kTicket[] = "switchboard.ticket.v1.TicketService";
constexpr char kStock[] = "switchboard.stock.v1.StockService";
constexpr char kFraud[] = "switchboard.fraud.v1.FraudService";
constexpr milliseconds kPollInterval{20};

// Polls `condition` until it holds or `timeout` passes; a loaded machine is slow, never stuck.
bool WaitUntil(const std::function<bool()>& condition, Clock::duration timeout) {
  const auto give_up = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= give_up) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

// A ticket server in this process whose health the test can flip.
class Replica {
 public:
  Replica() {
    common::ServiceOptions options;
    options.name = "ticket";
    options.data_dir = dir_.path() + "/data";
    options.settings = YAML::Load("{}");
    service_ = std::move(*ticket::MakeTicketService(options));
    host_ = std::move(*common::ServiceHost::Start("127.0.0.1:0", {service_.get()}));
  }
  std::string address() const { return host_->address(); }
  void SetServing(bool serving) {
    host_->server()->GetHealthCheckService()->SetServingStatus(serving);
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<common::Service> service_;
  std::unique_ptr<common::ServiceHost> host_;
};

// GET `path` over HTTP/1.1 from the gateway; "" when it does not answer.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[8192];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

// One per-backend metric of `service` from /metrics: backend -> value.
std::map<std::string, double> Metric(int port, const std::string& name,
                                     const std::string& service) {
  const std::string text = HttpGet(port, "/metrics");
  std::map<std::string, double> values;
  const std::regex line(name + "\\{service=\"" + service +
                        "\",backend=\"([^\"]+)\"\\} ([0-9.e+-]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it) {
    values[(*it)[1]] = std::stod((*it)[2]);
  }
  return values;
}

std::map<std::string, double> Requests(int port, const std::string& service = kTicket) {
  return Metric(port, "switchboard_gateway_upstream_requests_total", service);
}

std::shared_ptr<grpc::Channel> OneConnection(int port) {
  grpc::ChannelArguments args;
  static std::atomic<int> counter{0};
  args.SetInt("switchboard.lb_test_channel", counter++);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(), args);
}

grpc::Status GetEvent(ticket::v1::TicketService::Stub& stub,
                      const std::map<std::string, std::string>& metadata = {}) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  for (const auto& [k, v] : metadata) context.AddMetadata(k, v);
  ticket::v1::GetEventRequest request;
  request.set_id("evt-2");
  ticket::v1::Event event;
  return stub.GetEvent(&context, request, &event);
}

// `calls` GetEvent calls spread over `threads` threads sharing `channel`; returns failures.
int RunCalls(const std::shared_ptr<grpc::Channel>& channel, int calls, int threads = 6) {
  auto stub = ticket::v1::TicketService::NewStub(channel);
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (next++ < calls) {
        if (!GetEvent(*stub).ok()) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  return failures;
}

GatewayConfig TicketConfig(const std::vector<std::string>& backends, const std::string& lb) {
  GatewayConfig config = TestGatewayConfig({{kTicket, backends[0]}});
  ServiceRoute& route = config.services[kTicket];
  route.backends.clear();
  for (const auto& b : backends) route.backends.push_back(*ParseBackend(b));
  route.lb = lb;
  return config;
}

TEST(LoadBalancing, RoundRobinSpreadsOneConnectionEvenly) {
  Replica a, b, c;
  auto gateway =
      *GatewayServer::Start(TicketConfig({a.address(), b.address(), c.address()}, "round_robin"));
  ASSERT_EQ(RunCalls(OneConnection(gateway->port()), 9000), 0);
  const auto requests = Requests(gateway->port());
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& [backend, count] : requests) {
    EXPECT_NEAR(count, 3000, 150) << backend;  // 1/3 +- 5%
  }
}

TEST(LoadBalancing, LeastRequestServesEveryReplica) {
  Replica a, b, c;
  auto gateway =
      *GatewayServer::Start(TicketConfig({a.address(), b.address(), c.address()}, "least_request"));
  ASSERT_EQ(RunCalls(OneConnection(gateway->port()), 3000), 0);
  // Three rows first: over an empty map (a renamed metric, a page that did not answer) the
  // loop below would assert nothing.
  const auto requests = Requests(gateway->port());
  ASSERT_EQ(requests.size(), 3u) << HttpGet(gateway->port(), "/metrics");
  for (const auto& [backend, count] : requests) EXPECT_GT(count, 500) << backend;
}

TEST(LoadBalancing, WeightedSplitsOneTwoThree) {
  Replica a, b, c;
  GatewayConfig config = TicketConfig({a.address(), b.address(), c.address()}, "weighted");
  for (int i = 0; i < 3; ++i) config.services[kTicket].backends[i].weight = i + 1;
  auto gateway = *GatewayServer::Start(config);
  ASSERT_EQ(RunCalls(OneConnection(gateway->port()), 6000), 0);
  const auto requests = Requests(gateway->port());
  EXPECT_NEAR(requests.at(a.address()), 1000, 300);  // +- 5% of all calls
  EXPECT_NEAR(requests.at(b.address()), 2000, 300);
  EXPECT_NEAR(requests.at(c.address()), 3000, 300);
}

// The one backend that served `calls` calls with hash header value `key`; "" when the calls
// were not all on one backend.
std::string OwnerOf(GatewayServer& gateway, ticket::v1::TicketService::Stub& stub,
                    const std::string& key, int calls) {
  const auto before = Requests(gateway.port());
  for (int i = 0; i < calls; ++i) {
    if (!GetEvent(stub, {{"x-room", key}}).ok()) return "";
  }
  std::string owner;
  for (const auto& [backend, count] : Requests(gateway.port())) {
    const double delta = count - (before.count(backend) ? before.at(backend) : 0);
    if (delta == 0) continue;
    if (delta != calls || !owner.empty()) return "";
    owner = backend;
  }
  return owner;
}

TEST(LoadBalancing, RingHashPinsKeysAndRemovingABackendMovesOnlyItsKeys) {
  Replica a, b, c;
  GatewayConfig config = TicketConfig({a.address(), b.address(), c.address()}, "ring_hash");
  config.services[kTicket].hash_header = "x-room";
  auto gateway = *GatewayServer::Start(config);
  auto stub = ticket::v1::TicketService::NewStub(OneConnection(gateway->port()));
  constexpr int kKeys = 12;
  std::map<std::string, std::string> owner;
  std::map<std::string, int> keys_of;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "room-" + std::to_string(k);
    owner[key] = OwnerOf(*gateway, *stub, key, 20);
    ASSERT_FALSE(owner[key].empty()) << key << " was not served by exactly one backend";
    ++keys_of[owner[key]];
  }
  ASSERT_GE(keys_of.size(), 2u);  // twelve keys do not all hash to one of three
  // Remove the backend owning the most keys; only those keys move.
  std::string removed = keys_of.begin()->first;
  for (const auto& [backend, n] : keys_of) {
    if (n > keys_of[removed]) removed = backend;
  }
  auto& backends = config.services[kTicket].backends;
  backends.erase(std::remove_if(backends.begin(), backends.end(),
                                [&](const Backend& b) { return b.ToString() == removed; }),
                 backends.end());
  ASSERT_TRUE(gateway->Reload(config).ok());
  for (const auto& [key, was] : owner) {
    const std::string now = OwnerOf(*gateway, *stub, key, 5);
    ASSERT_FALSE(now.empty()) << key;
    EXPECT_NE(now, removed) << key;
    if (was != removed) EXPECT_EQ(now, was) << key << " moved although its backend stayed";
  }
}

// Health checks run on their own timer; a loaded machine may take several intervals to see a
// change, so tests wait (bounded) for the gateway's own gauge instead of sleeping a guess.
bool WaitForHealthy(int port, const std::string& backend, double healthy) {
  const auto give_up = Clock::now() + seconds(10);
  while (Clock::now() < give_up) {
    const auto gauge = Metric(port, "switchboard_gateway_upstream_healthy", kTicket);
    const auto it = gauge.find(backend);
    if (it != gauge.end() && it->second == healthy) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

TEST(LoadBalancing, NotServingReplicaGetsNothingUntilServingAgain) {
  Replica a, b, c;
  GatewayConfig config = TicketConfig({a.address(), b.address(), c.address()}, "round_robin");
  config.services[kTicket].health_check.interval = milliseconds(100);
  auto gateway = *GatewayServer::Start(config);
  auto channel = OneConnection(gateway->port());
  b.SetServing(false);
  ASSERT_TRUE(WaitForHealthy(gateway->port(), b.address(), 0));
  const auto before = Requests(gateway->port());
  ASSERT_EQ(RunCalls(channel, 600), 0);
  auto after = Requests(gateway->port());
  EXPECT_EQ(after[b.address()], before.count(b.address()) ? before.at(b.address()) : 0);
  EXPECT_NEAR(after[a.address()] - before.at(a.address()), 300, 2);
  EXPECT_EQ(Metric(gateway->port(), "switchboard_gateway_upstream_healthy", kTicket)[b.address()],
            0);

  b.SetServing(true);
  ASSERT_TRUE(WaitForHealthy(gateway->port(), b.address(), 1));
  const auto again = Requests(gateway->port());
  ASSERT_EQ(RunCalls(channel, 600), 0);
  EXPECT_NEAR(Requests(gateway->port())[b.address()] - again.at(b.address()), 200, 2);
}

TEST(LoadBalancing, NoHealthyBackendIsUnavailableWithoutTouchingTheNetwork) {
  Replica a, b;
  GatewayConfig config = TicketConfig({a.address(), b.address()}, "round_robin");
  config.services[kTicket].health_check.interval = milliseconds(100);
  auto gateway = *GatewayServer::Start(config);
  a.SetServing(false);
  b.SetServing(false);
  ASSERT_TRUE(WaitForHealthy(gateway->port(), a.address(), 0));
  ASSERT_TRUE(WaitForHealthy(gateway->port(), b.address(), 0));
  const auto before = Requests(gateway->port());
  auto stub = ticket::v1::TicketService::NewStub(OneConnection(gateway->port()));
  const grpc::Status status = GetEvent(*stub);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "no healthy backend for switchboard.ticket.v1.TicketService");
  EXPECT_EQ(Requests(gateway->port()), before);
}

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

TEST(LoadBalancing, RetriesOnlyIdempotentCallsOnAnotherBackend) {
  Replica ticket_replica;
  testing::TestServer fraud{fraud::MakeFraudService};
  const std::string dead = "127.0.0.1:" + std::to_string(testing::FreePort());  // refuses
  GatewayConfig config = TicketConfig({dead, ticket_replica.address()}, "round_robin");
  config.services[kFraud] = config.services[kTicket];
  config.services[kFraud].name = kFraud;
  config.services[kFraud].backends = {*ParseBackend(dead), *ParseBackend(fraud.address())};
  for (auto& [name, route] : config.services) {
    // Keep the dead backend in rotation: only retries stand between it and the client.
    route.health_check.enabled = false;
    route.outlier.consecutive_failures = 0;
  }
  auto gateway = *GatewayServer::Start(config);
  auto channel = OneConnection(gateway->port());
  // GetEvent is NO_SIDE_EFFECTS: every try that meets the dead backend is tried again on the
  // live one (round robin then hands the dead one the next call's first try again).
  EXPECT_EQ(RunCalls(channel, 100, 1), 0);
  const auto failures =
      Metric(gateway->port(), "switchboard_gateway_upstream_failures_total", kTicket);
  EXPECT_GE(failures.at(dead), 50);
  EXPECT_EQ(failures.at(ticket_replica.address()), 0);
  EXPECT_NE(HttpGet(gateway->port(), "/metrics")
                .find("switchboard_gateway_retries_total{service=\"" + std::string(kTicket) +
                      "\"} " + std::to_string(static_cast<int>(failures.at(dead)))),
            std::string::npos);

  // fraud Check declares no idempotency level: never retried.
  auto fraud_stub = fraud::v1::FraudService::NewStub(channel);
  int check_failures = 0;
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(5));
    fraud::v1::CheckRequest request;
    request.set_user_id("u1");
    request.set_amount(100);
    request.set_currency("EUR");
    fraud::v1::CheckResult result;
    const grpc::Status status = fraud_stub->Check(&context, request, &result);
    if (!status.ok()) {
      ++check_failures;
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
      EXPECT_NE(status.error_message().find("cannot connect to " + dead), std::string::npos)
          << status.error_message();
    }
  }
  EXPECT_EQ(check_failures, 10);

  // retries: {attempts: 1} (applied by a reload) turns retrying off for GetEvent too.
  config.services[kTicket].retries.attempts = 1;
  ASSERT_TRUE(gateway->Reload(config).ok());
  EXPECT_EQ(RunCalls(channel, 100, 1), 50);
}

// A `switchboard serve ticket` child on a fixed port and data dir, restartable.
class ChildReplica {
 public:
  explicit ChildReplica(const std::string& dir) : dir_(dir), port_(testing::FreePort()) { Start(); }
  void Start() {
    process_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{testing::SwitchboardBinary(), "serve", "ticket", "--port",
                                 std::to_string(port_), "--data-dir", dir_},
        dir_ + ".log");
  }
  bool WaitReady() { return common::WaitForServing(address(), seconds(20)); }
  void Kill() { process_->Stop(SIGKILL, seconds(5)); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<testing::ChildProcess> process_;
};

// Steady load of idempotent calls from `threads` threads until Stop().
class Load {
 public:
  Load(std::shared_ptr<grpc::Channel> channel, int threads) {
    for (int t = 0; t < threads; ++t) {
      workers_.emplace_back([this, channel] {
        auto stub = ticket::v1::TicketService::NewStub(channel);
        while (!stop_) {
          const grpc::Status status = GetEvent(*stub);
          ++calls_;
          if (!status.ok()) {
            ++failures_;
            std::lock_guard<std::mutex> lock(mutex_);
            first_failure_ = status.error_message();
          }
        }
      });
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
  }
  int calls() const { return calls_; }
  int failures() const { return failures_; }
  std::string first_failure() {
    std::lock_guard<std::mutex> lock(mutex_);
    return first_failure_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> calls_{0};
  std::atomic<int> failures_{0};
  std::mutex mutex_;
  std::string first_failure_;
  std::vector<std::thread> workers_;
};

TEST(LoadBalancing, GracefulShutdownOfAReplicaUnderLoadFailsNoIdempotentCall) {
  auto a = std::make_unique<testing::TestServer>(ticket::MakeTicketService);
  testing::TestServer b{ticket::MakeTicketService};
  auto gateway = *GatewayServer::Start(TicketConfig({a->address(), b.address()}, "round_robin"));
  Load load(OneConnection(gateway->port()), 4);
  std::this_thread::sleep_for(milliseconds(500));
  // GOAWAY, NOT_SERVING, then the listener goes: calls refused or cut go to `b`.
  a->Shutdown();
  std::this_thread::sleep_for(milliseconds(1000));
  load.Stop();
  EXPECT_EQ(load.failures(), 0) << load.first_failure();
  EXPECT_GT(load.calls(), 100);
}

TEST(LoadBalancing, KilledReplicaLeavesWithinOneSecondAndReturnsWithoutFailedCalls) {
  testing::TempDir dir;
  ChildReplica a(dir.path() + "/a"), b(dir.path() + "/b"), c(dir.path() + "/c");
  ASSERT_TRUE(a.WaitReady() && b.WaitReady() && c.WaitReady());
  auto gateway =
      *GatewayServer::Start(TicketConfig({a.address(), b.address(), c.address()}, "round_robin"));
  const int port = gateway->port();
  Load load(OneConnection(port), 4);
  std::this_thread::sleep_for(milliseconds(1000));

  // The clock starts at the signal: Kill() returns only once the process is reaped, and the
  // gateway may see the connection drop before that.
  constexpr auto kOutWithin = seconds(1);
  constexpr auto kNoRequestWindow = milliseconds(500);
  const auto killed = Clock::now();
  b.Kill();
  Clock::duration out_after{};
  while (Clock::now() - killed < seconds(5)) {
    const auto healthy = Metric(port, "switchboard_gateway_upstream_healthy", kTicket);
    const auto ejected = Metric(port, "switchboard_gateway_upstream_ejected", kTicket);
    if (healthy.at(b.address()) == 0 || ejected.at(b.address()) == 1) {
      out_after = Clock::now() - killed;
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_GT(out_after.count(), 0) << "never left the rotation";
  EXPECT_LT(out_after, kOutWithin);
  // Out of rotation means no new requests reach it. An ejection lapses after base_ejection;
  // failed health checks are what keep it out for good, so wait for those.
  ASSERT_TRUE(WaitForHealthy(port, b.address(), 0)) << "health checks never marked it down";
  const double while_dead = Requests(port).at(b.address());
  const int calls_while_dead = load.calls();
  std::this_thread::sleep_for(kNoRequestWindow);
  EXPECT_EQ(Requests(port).at(b.address()), while_dead);
  EXPECT_GT(load.calls(), calls_while_dead) << "no calls ran, so none could have reached it";

  b.Start();
  ASSERT_TRUE(b.WaitReady());
  const auto healthy_at = Clock::now();
  const double before = Requests(port).at(b.address());
  Clock::duration back_after{};
  while (Clock::now() - healthy_at < seconds(5)) {
    if (Requests(port).at(b.address()) > before) {
      back_after = Clock::now() - healthy_at;
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_GT(back_after.count(), 0) << "never came back";
  EXPECT_LT(back_after, seconds(2));
  std::this_thread::sleep_for(milliseconds(300));
  load.Stop();
  EXPECT_EQ(load.failures(), 0) << load.first_failure();
  EXPECT_GT(load.calls(), 500);
  std::cout << "out of rotation after "
            << std::chrono::duration_cast<milliseconds>(out_after).count() << " ms; back "
            << std::chrono::duration_cast<milliseconds>(back_after).count() << " ms after healthy; "
            << load.calls() << " calls, " << load.failures() << " failed\n";
}

std::string GatewayYaml(int port, const std::vector<std::string>& stock_backends) {
  std::string yaml = "listen: 127.0.0.1:" + std::to_string(port) +
                     "\nworkers: " + std::to_string(TestGatewayWorkers()) +
                     "\ndescriptors: [" SB_DESCRIPTOR_SET "]\nservices:\n  " + kStock +
                     ":\n    backends: [";
  for (size_t i = 0; i < stock_backends.size(); ++i) {
    yaml += (i ? ", " : "") + stock_backends[i];
  }
  return yaml + "]\n    timeout: {default: 10s, max: 60s}\n";
}

TEST(LoadBalancing, SighupReloadAddsAndDrainsBackendsUnderLoad) {
  // Each worker has at most one call open, so at most this many were picked before the
  // reload and may still be counted against the removed backend after it.
  constexpr int kWorkers = 4;
  constexpr int kCallsBeforeReload = 100;  // load reaches both old backends first
  constexpr double kCallsOnAddedBackend = 50;
  constexpr auto kWaitTimeout = seconds(10);
  testing::TempDir dir;
  testing::TestServer a{stock::MakeStockService, "{tick_interval: 20ms}"};
  testing::TestServer b{stock::MakeStockService, "{tick_interval: 20ms}"};
  testing::TestServer c{stock::MakeStockService, "{tick_interval: 20ms}"};
  const int port = testing::FreePort();
  const std::string config_path = dir.path() + "/gateway.yaml";
  std::ofstream(config_path) << GatewayYaml(port, {a.address(), b.address()});
  testing::ChildProcess gateway({testing::SwitchboardBinary(), "gateway", "--config", config_path},
                                dir.path() + "/gateway.log");
  const auto start = Clock::now();
  while (HttpGet(port, "/metrics").empty() && Clock::now() - start < seconds(20)) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_FALSE(HttpGet(port, "/metrics").empty()) << gateway.Output();
  auto channel = OneConnection(port);
  auto stub = stock::v1::StockService::NewStub(channel);
  // The first pick goes to the first backend: the stream lives on `a`, which the reload removes.
  grpc::ClientContext stream_context;
  stock::v1::StockRequest watch;
  watch.set_symbol("ACME");
  auto reader = stub->WatchStockPrice(&stream_context, watch);
  stock::v1::PriceUpdate update;
  ASSERT_TRUE(reader->Read(&update)) << gateway.Output();
  ASSERT_EQ(Requests(port, kStock).at(a.address()), 1);

  std::atomic<bool> stop{false};
  std::atomic<int> calls{0}, failures{0};
  std::string failure;
  std::mutex mutex;
  std::vector<std::thread> workers;
  for (int t = 0; t < kWorkers; ++t) {
    workers.emplace_back([&] {
      auto s = stock::v1::StockService::NewStub(channel);
      while (!stop) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + seconds(5));
        stock::v1::PriceUpdate price;
        const grpc::Status status = s->GetPrice(&context, watch, &price);
        ++calls;
        if (!status.ok()) {
          ++failures;
          std::lock_guard<std::mutex> lock(mutex);
          failure = status.error_message();
        }
      }
    });
  }
  // Stops the workers even when an assertion below returns early.
  struct StopWorkers {
    std::atomic<bool>& stop;
    std::vector<std::thread>& workers;
    ~StopWorkers() {
      stop = true;
      for (auto& w : workers) {
        if (w.joinable()) w.join();
      }
    }
  } stop_workers{stop, workers};
  ASSERT_TRUE(WaitUntil([&] { return calls >= kCallsBeforeReload; }, kWaitTimeout))
      << calls << " calls";
  ASSERT_GE(switchboard::testing::EstablishedConnectionsTo(PortOf(a.address())), 1);
  std::ofstream(config_path) << GatewayYaml(port, {b.address(), c.address()});
  ASSERT_EQ(kill(gateway.pid(), SIGHUP), 0);
  const auto reloaded = Clock::now();
  while (gateway.Output().find("gateway reloaded") == std::string::npos &&
         Clock::now() - reloaded < seconds(5)) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_NE(gateway.Output().find("gateway reloaded"), std::string::npos) << gateway.Output();
  // From here on no call may be picked for `a`: its count may grow only by the calls that
  // were already open on it when the reload applied.
  const auto at_reload = Requests(port, kStock);
  ASSERT_EQ(at_reload.count(a.address()), 1u) << "its open stream keeps `a` on the page";
  const double a_at_reload = at_reload.at(a.address());
  const int calls_at_reload = calls;
  // The removed backend's stream goes on: updates keep arriving after the reload.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(reader->Read(&update)) << i;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto now = Requests(port, kStock);
        return now.count(c.address()) && now.at(c.address()) >= kCallsOnAddedBackend;
      },
      kWaitTimeout))
      << "the added backend never took " << kCallsOnAddedBackend << " calls";
  // A bad file is refused in one line and the running configuration stays.
  std::ofstream(config_path) << "descriptors: [nope.pb]\nservices: {x: {backends: [bad]}}\n";
  ASSERT_EQ(kill(gateway.pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitUntil(
      [&] { return gateway.Output().find("reload refused") != std::string::npos; }, kWaitTimeout))
      << gateway.Output();
  const int calls_before_stop = calls;
  // Calls still succeed under the configuration that stayed.
  ASSERT_TRUE(WaitUntil([&] { return calls > calls_before_stop + kWorkers; }, kWaitTimeout));
  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures, 0) << failure;
  EXPECT_GT(calls, 100);
  EXPECT_GT(calls - calls_at_reload, kCallsOnAddedBackend) << "the load ran after the reload";
  const auto requests = Requests(port, kStock);
  EXPECT_GT(requests.at(c.address()), 10) << "the added backend takes calls";
  // `a` left the rotation: only its stream is still counted against it.
  ASSERT_EQ(requests.count(a.address()), 1u) << "its open stream keeps `a` on the page";
  EXPECT_LT(requests.at(a.address()), calls / 3.0);
  EXPECT_LE(requests.at(a.address()) - a_at_reload, kWorkers)
      << "`a` took calls after the reload removed it: " << a_at_reload << " at the reload, "
      << requests.at(a.address()) << " at the end, over " << calls - calls_at_reload
      << " calls since";
  // The drained connection stays while its stream runs, then closes after it.
  EXPECT_GE(switchboard::testing::EstablishedConnectionsTo(PortOf(a.address())), 1);
  stream_context.TryCancel();
  const grpc::Status stream_status = reader->Finish();
  EXPECT_EQ(stream_status.error_code(), grpc::StatusCode::CANCELLED);
  const auto cancelled = Clock::now();
  while (switchboard::testing::EstablishedConnectionsTo(PortOf(a.address())) > 0 &&
         Clock::now() - cancelled < seconds(3)) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(switchboard::testing::EstablishedConnectionsTo(PortOf(a.address())), 0)
      << "the drained connection did not close";
}

}  // namespace
}  // namespace switchboard::gateway
