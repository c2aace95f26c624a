// The real `switchboard gateway` process, in front of a real ticket service, under attack:
// HTTP/2 rapid reset, CONTINUATION, SETTINGS and PING floods, slowloris over HTTP/1.1 and
// HTTP/2, thousands of idle connections, the connection limits with exact counts, and random
// mutations of valid HTTP/1.1 and HTTP/2 byte streams. Every attack writes its bytes itself
// (the HTTP/2 frames included), on raw sockets.
//
// Passing means, for every attack: the gateway is still running; a well-behaved client on
// another connection was served throughout (no failed call, p99 under kGoodP99Bound); the
// gateway's resident memory stayed under kRssBound; and every attack connection was closed by
// the gateway within its stated bound.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "gateway/testing/h2c_test_client.h"
#include "services/ticket/ticket_service.h"
#include "testing/call_recorder.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// The attack gateway's limits: short, so that every bound below is a few seconds.
constexpr milliseconds kSlowClientTimeout{1000};
constexpr milliseconds kIdleTimeout{2000};
// Every attack connection is closed by the gateway within this: the longest of its timeouts
// (idle_timeout, 2 s) plus room for a loaded machine.
constexpr milliseconds kCloseBound{5000};
// The well-behaved client's calls, each on its one connection, while an attack runs.
constexpr milliseconds kGoodP99Bound{1000};
// The gateway's resident memory: it idles near 20 MiB (measured below); thousands of
// connections and floods must not take it anywhere near this.
constexpr int64_t kRssBoundKib = 256 * 1024;
// Idle connections held open at once in IdleConnections.
constexpr int kIdleConnections = 2000;
// How long random mutations are thrown at the gateway.
constexpr milliseconds kMutationTime{8000};

// ---- HTTP/2 frames, written by hand ----

enum FrameType : uint8_t {
  kData = 0,
  kHeaders = 1,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoaway = 7,
  kContinuation = 9,
};
constexpr uint8_t kEndStream = 0x1;
constexpr uint8_t kEndHeaders = 0x4;
constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr uint32_t kInternalError = 0x2;
constexpr uint32_t kEnhanceYourCalm = 0xb;

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream_id, const std::string& payload) {
  std::string frame;
  const size_t n = payload.size();
  frame.push_back(static_cast<char>((n >> 16) & 0xff));
  frame.push_back(static_cast<char>((n >> 8) & 0xff));
  frame.push_back(static_cast<char>(n & 0xff));
  frame.push_back(static_cast<char>(type));
  frame.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<char>((stream_id >> shift) & (shift == 24 ? 0x7f : 0xff)));
  }
  return frame + payload;
}

std::string Uint32(uint32_t value) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
  return out;
}

// An HPACK integer with an `prefix_bits`-bit prefix (RFC 7541 5.1).
void AppendHpackInt(std::string* out, uint8_t first_byte, int prefix_bits, size_t value) {
  const size_t max = (size_t{1} << prefix_bits) - 1;
  if (value < max) {
    out->push_back(static_cast<char>(first_byte | value));
    return;
  }
  out->push_back(static_cast<char>(first_byte | max));
  value -= max;
  while (value >= 128) {
    out->push_back(static_cast<char>((value % 128) + 128));
    value /= 128;
  }
  out->push_back(static_cast<char>(value));
}

// Literal header fields without indexing, new names, no Huffman: no state in either table.
std::string HeaderBlock(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string block;
  for (const auto& [name, value] : headers) {
    block.push_back('\0');
    AppendHpackInt(&block, 0, 7, name.size());
    block += name;
    AppendHpackInt(&block, 0, 7, value.size());
    block += value;
  }
  return block;
}

std::string GetRequestBlock(const std::string& path = "/events/evt-1") {
  return HeaderBlock(
      {{":method", "GET"}, {":scheme", "http"}, {":authority", "127.0.0.1"}, {":path", path}});
}

// The client preface and an empty SETTINGS frame.
std::string H2Start() { return std::string(kPreface) + Frame(kSettings, 0, 0, ""); }

// The error code of the first GOAWAY among `bytes` (the gateway's frames from its preface on).
std::optional<uint32_t> FindGoaway(const std::string& bytes) {
  size_t at = 0;
  while (at + 9 <= bytes.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + at);
    const size_t length = (size_t{p[0]} << 16) | (size_t{p[1]} << 8) | p[2];
    if (at + 9 + length > bytes.size()) break;
    if (p[3] == kGoaway && length >= 8) {
      return (uint32_t{p[13]} << 24) | (uint32_t{p[14]} << 16) | (uint32_t{p[15]} << 8) | p[16];
    }
    at += 9 + length;
  }
  return std::nullopt;
}

// ---- raw connections ----

// One TCP connection to the gateway from `source` (another 127.0.0.0/8 address is another
// client to the gateway), non-blocking after connect.
class RawConnection {
 public:
  RawConnection(int port, const std::string& source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    // The port is chosen at connect, by the whole 4-tuple: chosen at bind, it must be free of
    // every other socket on the address, a slow search after thousands of connections.
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      Fail();
      return;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      Fail();
      return;
    }
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~RawConnection() { Close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& received() const { return received_; }
  bool closed_by_peer() const { return closed_by_peer_; }

  // Sends all of `bytes` unless the gateway closes the connection first (false then), reading
  // what it answers meanwhile so that its writes never block on us.
  bool Send(const std::string& bytes, milliseconds timeout = seconds(5)) {
    const auto give_up = Clock::now() + timeout;
    size_t sent = 0;
    while (sent < bytes.size() && fd_ >= 0 && !closed_by_peer_) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      if (Clock::now() >= give_up) return false;
      pollfd p{fd_, POLLOUT | POLLIN, 0};
      ::poll(&p, 1, 50);
      if (p.revents & POLLIN) ReadAvailable();
    }
    return sent == bytes.size();
  }
  // Reads until the gateway closes the connection (true) or `timeout` passes (false).
  bool WaitClosed(milliseconds timeout) {
    const auto give_up = Clock::now() + timeout;
    while (!closed_by_peer_ && fd_ >= 0) {
      const auto left = std::chrono::duration_cast<milliseconds>(give_up - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100))) > 0) ReadAvailable();
    }
    return true;
  }
  // Reads what is there without waiting; notes a close.
  void ReadAvailable() {
    char buffer[16384];
    while (true) {
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) {
        // Only the start matters (the preface, a GOAWAY, a status line); floods of ACKs do not.
        if (received_.size() < kKeptBytes) received_.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        closed_by_peer_ = true;
      }
      return;
    }
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static constexpr size_t kKeptBytes = 256 * 1024;
  void Fail() {
    ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
  std::string received_;
  bool closed_by_peer_ = false;
};

// Waits until the gateway has closed every connection in `connections`; the time it took, or
// nullopt (with how many are still open) when `timeout` passed first.
std::optional<milliseconds> WaitAllClosed(std::vector<std::unique_ptr<RawConnection>>& connections,
                                          milliseconds timeout, size_t* still_open) {
  const auto start = Clock::now();
  while (true) {
    std::vector<pollfd> fds;
    std::vector<RawConnection*> open;
    for (auto& connection : connections) {
      if (connection->connected() && !connection->closed_by_peer()) {
        fds.push_back({connection->fd(), POLLIN, 0});
        open.push_back(connection.get());
      }
    }
    *still_open = open.size();
    if (open.empty()) return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    if (Clock::now() - start >= timeout) return std::nullopt;
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) open[i]->ReadAvailable();
    }
  }
}

std::string HttpGet(int port, const std::string& target) {
  RawConnection connection(port);
  if (!connection.connected()) return "";
  connection.Send(
      absl::StrCat("GET ", target, " HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"));
  connection.WaitClosed(seconds(10));
  return connection.received();
}

int64_t RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// A client that behaves: one h2c connection, one REST call after another, each timed.
class GoodClient {
 public:
  explicit GoodClient(int port) : thread_([this, port] { Run(port); }) {}
  ~GoodClient() { Stop(); }
  struct Result {
    size_t calls = 0;
    size_t failures = 0;
    milliseconds p99{0};
    std::string first_failure;
  };
  Result Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    Result result;
    result.calls = latencies_.size();
    result.failures = failures_;
    result.first_failure = first_failure_;
    if (!latencies_.empty()) {
      std::vector<Clock::duration> sorted = latencies_;
      std::sort(sorted.begin(), sorted.end());
      result.p99 = std::chrono::duration_cast<milliseconds>(
          sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)]);
    }
    return result;
  }

 private:
  void Run(int port) {
    std::unique_ptr<gateway::testing::H2cClient> client;
    while (!stop_) {
      const auto start = Clock::now();
      int status = 0;
      try {
        if (!client) client = std::make_unique<gateway::testing::H2cClient>(port);
        status = client->Call("GET", "/events/evt-1", {}, "", seconds(5)).status;
      } catch (const std::exception&) {
      }
      const auto elapsed = Clock::now() - start;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        latencies_.push_back(elapsed);
        if (status != 200) {
          if (failures_++ == 0) first_failure_ = absl::StrCat("status ", status);
          client.reset();
        }
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Clock::duration> latencies_;
  size_t failures_ = 0;
  std::string first_failure_;
  std::thread thread_;
};

// ---- the gateway process ----

class Gateway {
 public:
  // `limits` and `extra` are appended to the config as they are.
  Gateway(const std::string& backend, const std::string& limits, const std::string& extra = "")
      : port_(switchboard::testing::FreePort()) {
    const std::string config = dir_.path() + "/gateway.yaml";
    std::ofstream(config) << "listen: 127.0.0.1:" << port_ << "\nworkers: " << TestGatewayWorkers()
                          << "\ndescriptors: [" SB_DESCRIPTOR_SET "]\n"
                          << "services: {switchboard.ticket.v1.TicketService: {backends: ["
                          << backend << "]}}\nlimits: " << limits << "\n"
                          << extra;
    process_ = std::make_unique<GatewayProcess>(config, dir_.path() + "/gateway.log");
  }
  bool listening() const { return process_->listening(); }
  int port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  bool Running() { return process_->Running(); }
  std::string Output() const { return process_->Output(); }
  const std::string& dir() const { return dir_.path(); }

 private:
  switchboard::testing::TempDir dir_;
  int port_;
  std::unique_ptr<GatewayProcess> process_;
};

std::string AttackLimits() {
  return absl::StrCat("{slow_client_timeout: ", kSlowClientTimeout.count(),
                      "ms, idle_timeout: ", kIdleTimeout.count(),
                      "ms, max_connections: 5000, max_connections_per_client: 4000}");
}

class AttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway_ = std::make_unique<Gateway>(ticket_.address(), AttackLimits());
    ASSERT_TRUE(gateway_->listening()) << gateway_->Output();
    good_ = std::make_unique<GoodClient>(gateway_->port());
    // The good client is connected and served before the attack starts.
    std::this_thread::sleep_for(milliseconds(200));
  }

  // The gateway took the attack: it runs, the good client was served throughout, its memory
  // stayed bounded. Call at the end of each attack.
  GoodClient::Result ExpectGatewayUnharmed() {
    max_rss_kib_ = std::max(max_rss_kib_, RssKib(gateway_->pid()));
    const GoodClient::Result good = good_->Stop();
    EXPECT_TRUE(gateway_->Running()) << gateway_->Output();
    EXPECT_GT(good.calls, 5u);
    EXPECT_EQ(good.failures, 0u) << good.first_failure;
    EXPECT_LE(good.p99, kGoodP99Bound) << good.calls << " calls";
    EXPECT_GT(max_rss_kib_, 0);
    EXPECT_LE(max_rss_kib_, kRssBoundKib);
    std::printf("good client: %zu calls, p99 %lld ms; gateway max RSS %lld KiB\n", good.calls,
                static_cast<long long>(good.p99.count()), static_cast<long long>(max_rss_kib_));
    return good;
  }
  void SampleRss() { max_rss_kib_ = std::max(max_rss_kib_, RssKib(gateway_->pid())); }
  std::string Metrics() { return HttpGet(gateway_->port(), "/metrics"); }

  switchboard::testing::CallRecorder recorder_;
  switchboard::testing::TestServer ticket_{ticket::MakeTicketService, "{}", recorder_.Options()};
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<GoodClient> good_;
  int64_t max_rss_kib_ = 0;
};

// CVE-2023-44487: thousands of streams opened and reset at once on one connection. Each would
// start a backend call; the gateway answers GOAWAY and closes the connection.
TEST_F(AttackTest, RapidResetEndsTheConnectionWithGoaway) {
  RawConnection attacker(gateway_->port());
  ASSERT_TRUE(attacker.connected());
  std::string batch = H2Start();
  const std::string request = GetRequestBlock();
  uint32_t id = 1;
  const auto start = Clock::now();
  bool all_sent = true;
  for (int round = 0; round < 50 && all_sent; ++round) {
    for (int i = 0; i < 100; ++i, id += 2) {
      batch += Frame(kHeaders, kEndHeaders | kEndStream, id, request);
      batch += Frame(kRstStream, 0, id, Uint32(0x8 /* CANCEL */));
    }
    all_sent = attacker.Send(batch);
    batch.clear();
  }
  EXPECT_TRUE(attacker.WaitClosed(kCloseBound)) << "still open after 5000 resets";
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  std::printf("rapid reset: closed %lld ms after the first frame, %u streams sent\n",
              static_cast<long long>(took.count()), (id - 1) / 2);
  EXPECT_EQ(FindGoaway(attacker.received()), kInternalError);
  EXPECT_NE(Metrics().find("switchboard_gateway_h2_connection_errors_total{reason=\"internal_"
                           "error\"} 1"),
            std::string::npos);
  const GoodClient::Result good = ExpectGatewayUnharmed();
  // Streams after the GOAWAY's last stream id never become calls: the backend saw about the
  // reset burst (1000), not the 5000 streams, besides the good client's calls.
  const int attack_calls = recorder_.Started("/switchboard.ticket.v1.TicketService/GetEvent") -
                           static_cast<int>(good.calls);
  std::printf("rapid reset: %d backend calls started by the attack\n", attack_calls);
  EXPECT_LE(attack_calls, 1100);
}

// CVE-2024-27316 family: one HEADERS frame followed by CONTINUATION frames without end.
TEST_F(AttackTest, ContinuationFloodClosesTheConnection) {
  RawConnection attacker(gateway_->port());
  ASSERT_TRUE(attacker.connected());
  std::string flood = H2Start() + Frame(kHeaders, 0, 1, GetRequestBlock());
  const std::string more =
      Frame(kContinuation, 0, 1, HeaderBlock({{"x-filler", std::string(1000, 'a')}}));
  for (int i = 0; i < 10000; ++i) flood += more;
  attacker.Send(flood);
  EXPECT_TRUE(attacker.WaitClosed(kCloseBound));
  EXPECT_NE(
      Metrics().find(
          "switchboard_gateway_h2_connection_errors_total{reason=\"too_many_continuations\"} 1"),
      std::string::npos);
  ExpectGatewayUnharmed();
}

// Frames that each ask for an answer (SETTINGS and PING ACKs) sent faster than they are read,
// and a SETTINGS frame with more entries than any client needs.
TEST_F(AttackTest, SettingsAndPingFloodsCloseTheConnection) {
  std::string settings_flood = H2Start();
  for (int i = 0; i < 50000; ++i) settings_flood += Frame(kSettings, 0, 0, "");
  std::string ping_flood = H2Start();
  for (int i = 0; i < 50000; ++i) ping_flood += Frame(kPing, 0, 0, std::string(8, 'p'));
  std::string many_entries;
  for (int i = 0; i < 40; ++i) many_entries += std::string{0, 3} + Uint32(100);
  const std::string too_many_settings = H2Start() + Frame(kSettings, 0, 0, many_entries);
  const std::vector<const std::string*> attacks = {&settings_flood, &ping_flood,
                                                   &too_many_settings};
  for (const std::string* attack : attacks) {
    RawConnection attacker(gateway_->port());
    ASSERT_TRUE(attacker.connected());
    // Not a byte read while sending: the answers pile up on the gateway's side.
    size_t sent = 0;
    while (sent < attack->size()) {
      const ssize_t n = ::send(attacker.fd(), attack->data() + sent, attack->size() - sent,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (errno == EAGAIN) {
        std::this_thread::sleep_for(milliseconds(1));
      } else {
        break;
      }
    }
    EXPECT_TRUE(attacker.WaitClosed(kCloseBound)) << "attack " << (attack - &settings_flood);
    if (attack == &too_many_settings) {
      EXPECT_EQ(FindGoaway(attacker.received()), kEnhanceYourCalm);
    }
  }
  const std::string metrics = Metrics();
  EXPECT_NE(metrics.find("switchboard_gateway_h2_connection_errors_total{reason=\"flooded\"} 2"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(
                "switchboard_gateway_h2_connection_errors_total{reason=\"enhance_your_calm\"} 1"),
            std::string::npos);
  ExpectGatewayUnharmed();
}

// Request heads that trickle in a byte at a time never complete: each connection is cut off
// limits.slow_client_timeout after its first byte (408), however steadily it trickles.
TEST_F(AttackTest, SlowlorisOnHttp1IsCutOff) {
  constexpr int kConnections = 50;
  std::vector<std::unique_ptr<RawConnection>> attackers;
  for (int i = 0; i < kConnections; ++i) {
    attackers.push_back(std::make_unique<RawConnection>(gateway_->port()));
    ASSERT_TRUE(attackers.back()->connected());
    attackers.back()->Send("GET /events/evt-1 HTTP/1.1\r\nhost: 127.0.0.1\r\n");
  }
  const auto start = Clock::now();
  std::optional<milliseconds> took;
  size_t open = 0;
  while (!took && Clock::now() - start < kCloseBound) {
    for (auto& attacker : attackers) {
      if (!attacker->closed_by_peer()) attacker->Send("x");
    }
    took = WaitAllClosed(attackers, milliseconds(100), &open);
  }
  ASSERT_TRUE(took.has_value()) << open << " of " << kConnections << " still open";
  std::printf("slowloris http/1.1: all %d closed within %lld ms\n", kConnections,
              static_cast<long long>(
                  std::chrono::duration_cast<milliseconds>(Clock::now() - start).count()));
  EXPECT_EQ(attackers.front()->received().rfind("HTTP/1.1 408", 0), 0u)
      << attackers.front()->received();
  ExpectGatewayUnharmed();
}

// HTTP/2 clients that stall before their request is whole: nothing at all, half the preface,
// the preface and SETTINGS then half a frame header, half a HEADERS frame.
TEST_F(AttackTest, SlowlorisOnHttp2IsCutOff) {
  const std::string headers = Frame(kHeaders, kEndHeaders | kEndStream, 1, GetRequestBlock());
  const std::vector<std::string> stalls = {
      "",
      std::string(kPreface).substr(0, 10),
      H2Start() + headers.substr(0, 4),
      H2Start() + headers.substr(0, headers.size() / 2),
  };
  std::vector<std::unique_ptr<RawConnection>> attackers;
  for (const std::string& bytes : stalls) {
    for (int i = 0; i < 10; ++i) {
      attackers.push_back(std::make_unique<RawConnection>(gateway_->port()));
      ASSERT_TRUE(attackers.back()->connected());
      if (!bytes.empty()) attackers.back()->Send(bytes);
    }
  }
  size_t open = 0;
  const auto took = WaitAllClosed(attackers, kCloseBound, &open);
  for (size_t i = 0; i < attackers.size(); ++i) {
    EXPECT_TRUE(attackers[i]->closed_by_peer()) << "stall " << i / 10 << " still open";
  }
  ASSERT_TRUE(took.has_value()) << open << " still open";
  std::printf("slowloris http/2: all %zu closed within %lld ms\n", attackers.size(),
              static_cast<long long>(took->count()));
  ExpectGatewayUnharmed();
}

// Thousands of connections that never send a request (half of them never a byte, half an
// HTTP/2 preface and SETTINGS) are held without harm, then closed by the gateway's timeouts.
TEST_F(AttackTest, ThousandsOfIdleConnections) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  const rlim_t wanted = kIdleConnections + 512;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  const int count = static_cast<int>(std::min<rlim_t>(kIdleConnections, limit.rlim_cur - 512));
  ASSERT_GE(count, 500) << "RLIMIT_NOFILE " << limit.rlim_cur;
  std::vector<std::unique_ptr<RawConnection>> idle;
  const std::string h2 = H2Start();
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    idle.push_back(std::make_unique<RawConnection>(gateway_->port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
    if (i % 2 == 1) idle.back()->Send(h2);
  }
  const auto opened = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  SampleRss();
  std::printf("idle: %d connections opened in %lld ms, gateway RSS %lld KiB\n", count,
              static_cast<long long>(opened.count()), static_cast<long long>(max_rss_kib_));
  size_t open = 0;
  const auto took = WaitAllClosed(idle, kCloseBound, &open);
  ASSERT_TRUE(took.has_value()) << open << " of " << count << " still open";
  std::printf("idle: all closed %lld ms after the last was opened\n",
              static_cast<long long>(took->count()));
  ExpectGatewayUnharmed();
}

// Random mutations of valid HTTP/1.1 and HTTP/2 byte streams, one connection each, for
// kMutationTime: whatever the gateway makes of them, it answers or closes, and once the client
// has sent all it will (half-close), the connection is closed within kCloseBound.
TEST_F(AttackTest, RandomMutationsOfValidStreams) {
  const std::string grpc_request = std::string("\x0a\x05", 2) + "evt-1";
  const std::vector<std::string> seeds = {
      "GET /events/evt-1 HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: application/json\r\n\r\n"
      "GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
      "POST /switchboard.ticket.v1.TicketService/GetEvent HTTP/1.1\r\nhost: 127.0.0.1\r\n"
      "content-type: application/grpc-web+proto\r\ncontent-length: 12\r\n\r\n" +
          gateway::testing::GrpcFrame(grpc_request),
      "POST /events/evt-1 HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n",
      H2Start() + Frame(kHeaders, kEndHeaders | kEndStream, 1, GetRequestBlock()) +
          Frame(kHeaders, kEndHeaders | kEndStream, 3, GetRequestBlock("/events")),
      H2Start() +
          Frame(kHeaders, kEndHeaders, 1,
                HeaderBlock({{":method", "POST"},
                             {":scheme", "http"},
                             {":authority", "127.0.0.1"},
                             {":path", "/switchboard.ticket.v1.TicketService/GetEvent"},
                             {"content-type", "application/grpc"},
                             {"te", "trailers"}})) +
          Frame(kData, kEndStream, 1, gateway::testing::GrpcFrame(grpc_request)) +
          Frame(kPing, 0, 0, std::string(8, 'x')),
  };
  const uint32_t seed = std::random_device{}();
  std::mt19937 random(seed);
  SCOPED_TRACE(absl::StrCat("mutation seed ", seed));
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(random() % n); };
  auto mutate = [&](std::string bytes) {
    const int edits = 1 + static_cast<int>(pick(8));
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t at = pick(bytes.size());
      switch (pick(6)) {
        case 0:  // flip a bit
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << pick(8)));
          break;
        case 1:  // a random byte
          bytes[at] = static_cast<char>(random());
          break;
        case 2:  // insert random bytes
          bytes.insert(at, std::string(1 + pick(16), static_cast<char>(random())));
          break;
        case 3:  // delete a range
          bytes.erase(at, 1 + pick(16));
          break;
        case 4:  // repeat a range
          bytes.insert(at, bytes.substr(at, 1 + pick(64)));
          break;
        default:  // cut short
          bytes.resize(at);
          break;
      }
    }
    return bytes;
  };
  const auto stop = Clock::now() + kMutationTime;
  int connections = 0;
  milliseconds slowest{0};
  while (Clock::now() < stop) {
    RawConnection attacker(gateway_->port());
    ASSERT_TRUE(attacker.connected());
    const std::string bytes = mutate(seeds[pick(seeds.size())]);
    attacker.Send(bytes, seconds(2));
    attacker.ShutdownWrite();
    const auto sent = Clock::now();
    ASSERT_TRUE(attacker.WaitClosed(kCloseBound))
        << "still open after the client half-closed; it sent " << absl::CEscape(bytes);
    slowest = std::max(slowest, std::chrono::duration_cast<milliseconds>(Clock::now() - sent));
    ++connections;
    if (connections % 200 == 0) SampleRss();
  }
  std::printf("mutations: %d connections, slowest closed %lld ms after the half-close\n",
              connections, static_cast<long long>(slowest.count()));
  EXPECT_GT(connections, 100);
  ExpectGatewayUnharmed();
}

// limits.max_connections and max_connections_per_client, over the plaintext and TLS listeners
// together, with exact counts: the connection over a limit is closed at once (a 503 first over
// plaintext), counted, and its place is free again as soon as a connection closes.
TEST(ConnectionLimits, ExactCountsOverBothListeners) {
  switchboard::testing::TempDir pki;
  const std::string cert = pki.path() + "/gateway.pem";
  const std::string key = pki.path() + "/gateway.key";
  ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                         "-nodes -days 2 -subj /CN=127.0.0.1 -keyout " +
                         key + " -out " + cert + " >/dev/null 2>&1")
                            .c_str()),
            0);
  switchboard::testing::TestServer ticket{ticket::MakeTicketService};
  const int tls_port = switchboard::testing::FreePort();
  // Long timeouts: the connections held here stay open until the test closes them.
  Gateway gateway(ticket.address(),
                  "{slow_client_timeout: 20s, idle_timeout: 20s, max_connections: 12, "
                  "max_connections_per_client: 4}",
                  absl::StrCat("tls: {listen: 127.0.0.1:", tls_port, ", cert_file: ", cert,
                               ", key_file: ", key, ", handshake_timeout: 20s}\n"));
  ASSERT_TRUE(gateway.listening()) << gateway.Output();
  std::vector<std::unique_ptr<RawConnection>> held;
  // Admitted: the connection stays open and silent. Refused: closed at once.
  auto open = [&](int port, const std::string& source) {
    auto connection = std::make_unique<RawConnection>(port, source);
    EXPECT_TRUE(connection->connected());
    const bool refused = connection->WaitClosed(milliseconds(300));
    const std::string answer = connection->received();
    held.push_back(std::move(connection));
    return refused ? std::optional<std::string>(answer) : std::nullopt;
  };
  // One client: four connections, the fifth refused with a 503.
  for (int i = 0; i < 4; ++i) ASSERT_EQ(open(gateway.port(), "127.0.0.2"), std::nullopt) << i;
  const auto per_client = open(gateway.port(), "127.0.0.2");
  ASSERT_TRUE(per_client.has_value());
  EXPECT_EQ(per_client->rfind("HTTP/1.1 503", 0), 0u) << *per_client;
  // Another, on the TLS port (no handshake: the place is taken at accept): the same limit.
  for (int i = 0; i < 4; ++i) ASSERT_EQ(open(tls_port, "127.0.0.3"), std::nullopt) << i;
  const auto per_client_tls = open(tls_port, "127.0.0.3");
  ASSERT_TRUE(per_client_tls.has_value());
  EXPECT_EQ(*per_client_tls, "");
  // A third client fills the gateway: 12 open.
  for (int i = 0; i < 4; ++i) ASSERT_EQ(open(gateway.port(), "127.0.0.4"), std::nullopt) << i;
  // A fourth client's first connection is over max_connections, on either port.
  const auto total = open(gateway.port(), "127.0.0.5");
  ASSERT_TRUE(total.has_value());
  EXPECT_EQ(total->rfind("HTTP/1.1 503", 0), 0u) << *total;
  ASSERT_TRUE(open(tls_port, "127.0.0.5").has_value());
  // One of the first client's closes: its place is free again.
  held.front()->Close();
  int attempts = 0;
  std::optional<std::string> refused;
  do {
    ++attempts;
    refused = open(gateway.port(), "127.0.0.5");
  } while (refused.has_value() && attempts < 10);
  EXPECT_EQ(refused, std::nullopt) << "no place after a close";
  // Room for /metrics.
  held.clear();
  std::this_thread::sleep_for(milliseconds(200));
  const std::string metrics = HttpGet(gateway.port(), "/metrics");
  EXPECT_NE(metrics.find("switchboard_gateway_connections_refused_total{limit=\"max_connections_"
                         "per_client\"} 2"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(absl::StrCat(
                "switchboard_gateway_connections_refused_total{limit=\"max_connections\"} ",
                2 + attempts - 1)),
            std::string::npos)
      << metrics;
  EXPECT_NE(gateway.Output().find("refused over limits.max_connections"), std::string::npos)
      << gateway.Output();
}

}  // namespace
}  // namespace switchboard::gateway
