// TLS client connections for bench/gateway_tls.sh, on one thread with non-blocking sockets:
//   --mode=handshakes: new connections, back to back, for --seconds; with --resume each one
//     offers a TLS 1.3 ticket an earlier connection received. Prints handshakes/s.
//   --mode=idle: opens --connections connections, prints "open_ms", then holds them idle until
//     stdin closes or SIGTERM.
// A connection counts once the server has sent its first HTTP/2 frame: the handshake is done
// on both sides and the server has set the connection up, as a real client would see it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "bench_common.h"

namespace switchboard::bench {
namespace {

constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
// The HTTP/2 client preface and an empty SETTINGS frame: what every h2 client sends first.
constexpr char kH2Preface[] =
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    "\x00\x00\x00\x04\x00\x00\x00\x00\x00";
constexpr size_t kH2PrefaceBytes = sizeof(kH2Preface) - 1;
constexpr int kMaxEvents = 256;
constexpr int kEpollWaitMs = 100;
constexpr int64_t kMaxConnections = 100000;  // idle mode: each is a descriptor and a TLS object
constexpr int64_t kMaxConcurrency = 10000;
constexpr size_t kMaxSessions = 4096;  // unused tickets kept for --resume
constexpr int kPrimeSeconds = 10;      // --resume: time to collect the first tickets

enum class Phase { kConnecting, kHandshake, kAwaitServer, kEstablished };

struct Connection {
  int fd = -1;
  SSL* ssl = nullptr;
  Phase phase = Phase::kConnecting;
};

struct Counts {
  int64_t established = 0;
  int64_t resumed = 0;
  int64_t failed = 0;
};

class Clients {
 public:
  Clients(sockaddr_in address, SSL_CTX* context)
      : address_(address), context_(context), epoll_(epoll_create1(0)) {}
  ~Clients() {
    for (auto& connection : connections_) Drop(connection);
    for (SSL_SESSION* session : sessions_) SSL_SESSION_free(session);
    close(epoll_);
  }

  // Starts a connection in slot `index` (reused after Drop).
  void Start(size_t index) {
    if (index >= connections_.size()) connections_.resize(index + 1);
    Connection& connection = connections_[index];
    connection = Connection{};
    connection.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connection.fd < 0) {
      std::perror("socket");
      std::exit(1);
    }
    const int one = 1;
    setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(connection.fd, reinterpret_cast<const sockaddr*>(&address_), sizeof(address_)) !=
            0 &&
        errno != EINPROGRESS) {
      Fail(connection);
      return;
    }
    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.u64 = index;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, connection.fd, &event);
  }

  // Waits for socket events once (kEpollWaitMs at most) and advances the connections; calls
  // `on_done(index)` for each that was established or failed in this round.
  template <typename OnDone>
  void Poll(OnDone on_done) {
    epoll_event events[kMaxEvents];
    const int n = epoll_wait(epoll_, events, kMaxEvents, kEpollWaitMs);
    for (int i = 0; i < n; ++i) {
      const size_t index = events[i].data.u64;
      if (Advance(connections_[index])) on_done(index);
    }
  }

  void Drop(Connection& connection) {
    if (connection.ssl != nullptr) {
      SSL_shutdown(connection.ssl);  // sends close_notify; the answer is not awaited
      SSL_free(connection.ssl);
      connection.ssl = nullptr;
    }
    if (connection.fd >= 0) close(connection.fd);
    connection.fd = -1;
  }
  void Drop(size_t index) { Drop(connections_[index]); }

  const Counts& counts() const { return counts_; }
  void ResetCounts() { counts_ = Counts{}; }
  size_t sessions() const { return sessions_.size(); }
  // From now on each new connection offers a saved session (when there is one).
  void Resume() { resume_ = true; }
  static int OnNewSession(SSL* ssl, SSL_SESSION* session);

 private:
  // One step of a connection's life; true when it has just been established or has failed.
  bool Advance(Connection& connection) {
    if (connection.phase == Phase::kConnecting) {
      int error = 0;
      socklen_t size = sizeof(error);
      getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) return Fail(connection);
      connection.ssl = SSL_new(context_);
      SSL_set_fd(connection.ssl, connection.fd);
      SSL_set_app_data(connection.ssl, this);
      if (resume_ && !sessions_.empty()) {
        SSL_set_session(connection.ssl, sessions_.back());  // takes its own reference
        SSL_SESSION_free(sessions_.back());
        sessions_.pop_back();
      }
      connection.phase = Phase::kHandshake;
    }
    if (connection.phase == Phase::kHandshake) {
      const int result = SSL_connect(connection.ssl);
      if (result != 1) return WaitOrFail(connection, result);
      // A few dozen bytes into an empty socket buffer: one write always takes them.
      if (SSL_write(connection.ssl, kH2Preface, kH2PrefaceBytes) !=
          static_cast<int>(kH2PrefaceBytes)) {
        return Fail(connection);
      }
      connection.phase = Phase::kAwaitServer;
    }
    char buffer[4096];
    const int result = SSL_read(connection.ssl, buffer, sizeof(buffer));
    if (result <= 0) return WaitOrFail(connection, result);
    if (connection.phase == Phase::kEstablished) return false;  // an idle connection's frames
    connection.phase = Phase::kEstablished;
    ++counts_.established;
    if (SSL_session_reused(connection.ssl)) ++counts_.resumed;
    Watch(connection, EPOLLIN);
    return true;
  }

  bool WaitOrFail(Connection& connection, int result) {
    const int error = SSL_get_error(connection.ssl, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      Watch(connection, error == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
      return false;
    }
    ERR_clear_error();
    return Fail(connection);
  }

  void Watch(Connection& connection, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = static_cast<uint64_t>(&connection - connections_.data());
    epoll_ctl(epoll_, EPOLL_CTL_MOD, connection.fd, &event);
  }

  bool Fail(Connection& connection) {
    ++counts_.failed;
    Drop(connection);
    return true;
  }

  sockaddr_in address_;
  SSL_CTX* context_;
  bool resume_ = false;
  int epoll_;
  std::vector<Connection> connections_;
  Counts counts_;
  // Tickets not used yet, newest last: each is used once, as RFC 8446 asks of clients (OpenSSL
  // does not offer a TLS 1.3 session again once a handshake has resumed it).
  std::deque<SSL_SESSION*> sessions_;
};

int Clients::OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* clients = static_cast<Clients*>(SSL_get_app_data(ssl));
  if (!SSL_SESSION_is_resumable(session)) return 0;
  if (clients->sessions_.size() == kMaxSessions) {
    SSL_SESSION_free(clients->sessions_.front());
    clients->sessions_.pop_front();
  }
  clients->sessions_.push_back(session);
  return 1;  // keeps the reference OpenSSL handed over
}

SSL_CTX* MakeContext(const std::string& tls13_ciphers) {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION);
  SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);  // as openssl s_time: no chain check
  SSL_CTX_set_alpn_protos(context, kAlpnH2, sizeof(kAlpnH2));
  if (SSL_CTX_set_ciphersuites(context, tls13_ciphers.c_str()) != 1) {
    std::fprintf(stderr, "--tls13-ciphers=%s: not a TLS 1.3 cipher suite list\n",
                 tls13_ciphers.c_str());
    std::exit(2);
  }
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(context, Clients::OnNewSession);
  return context;
}

int RunHandshakes(Clients& clients, bool resume, int64_t concurrency, double seconds) {
  if (resume) {
    // Full handshakes, one at a time, until there is a ticket for each of the first timed
    // connections; after that every resumed handshake brings at least one new ticket.
    const size_t wanted = static_cast<size_t>(concurrency);
    const int64_t deadline = NowSteadyMicros() + kPrimeSeconds * 1000000;
    clients.Start(0);
    while (clients.sessions() < wanted && NowSteadyMicros() < deadline) {
      clients.Poll([&](size_t index) {
        clients.Drop(index);
        if (clients.sessions() < wanted) clients.Start(0);
      });
    }
    if (clients.sessions() < wanted) {
      std::fprintf(stderr, "the server gave %zu resumable sessions in %d s, %zu wanted\n",
                   clients.sessions(), kPrimeSeconds, wanted);
      return 1;
    }
    clients.ResetCounts();
    clients.Resume();
  }
  const int64_t start = NowSteadyMicros();
  const int64_t end = start + static_cast<int64_t>(seconds * 1e6);
  for (int64_t i = 0; i < concurrency; ++i) clients.Start(static_cast<size_t>(i));
  while (NowSteadyMicros() < end) {
    clients.Poll([&](size_t index) {
      clients.Drop(index);
      clients.Start(index);
    });
  }
  const double elapsed = static_cast<double>(NowSteadyMicros() - start) / 1e6;
  const Counts& counts = clients.counts();
  std::printf("handshakes %lld\nresumed %lld\nfailed %lld\nseconds %.3f\nper_second %.1f\n",
              static_cast<long long>(counts.established), static_cast<long long>(counts.resumed),
              static_cast<long long>(counts.failed), elapsed,
              static_cast<double>(counts.established) / elapsed);
  return counts.failed == 0 ? 0 : 1;
}

volatile sig_atomic_t stop_requested = 0;
void OnStopSignal(int) { stop_requested = 1; }

int RunIdle(Clients& clients, int64_t total, int64_t concurrency, double seconds) {
  const int64_t start = NowSteadyMicros();
  const int64_t deadline = start + static_cast<int64_t>(seconds * 1e6);
  int64_t started = 0, done = 0;
  for (; started < std::min(total, concurrency); ++started) clients.Start(started);
  while (done < total && NowSteadyMicros() < deadline) {
    clients.Poll([&](size_t) {
      ++done;
      if (started < total) clients.Start(static_cast<size_t>(started++));
    });
  }
  const Counts& counts = clients.counts();
  if (counts.established != total) {
    std::printf("error %lld of %lld established, %lld failed\n",
                static_cast<long long>(counts.established), static_cast<long long>(total),
                static_cast<long long>(counts.failed));
    return 1;
  }
  std::printf("open_ms %lld\n", static_cast<long long>((NowSteadyMicros() - start) / 1000));
  std::fflush(stdout);
  // Held until told to stop, reading whatever the server sends (its SETTINGS ack, a PING).
  signal(SIGTERM, OnStopSignal);
  pollfd input{STDIN_FILENO, POLLIN, 0};
  while (!stop_requested) {
    clients.Poll([](size_t) {});
    if (poll(&input, 1, 0) > 0) {
      char byte;
      if (read(STDIN_FILENO, &byte, 1) <= 0) break;
    }
  }
  // Connections the server closed while they were held (an idle timeout shorter than the hold).
  std::printf("dropped %lld\n", static_cast<long long>(counts.failed));
  return counts.failed == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  const std::string address = flags.Str("address", "127.0.0.1:8443");
  const std::string mode = flags.Str("mode", "handshakes");
  const bool resume = flags.Str("resume", "false") == "true";
  const int64_t concurrency = flags.Int("concurrency", 16);
  const int64_t connections = flags.Int("connections", 2000);
  const double seconds = flags.Double("seconds", 5);
  const std::string ciphers = flags.Str("tls13-ciphers", "TLS_AES_128_GCM_SHA256");
  flags.CheckAllUsed();

  const auto colon = address.rfind(':');
  sockaddr_in target{};
  target.sin_family = AF_INET;
  if (colon == std::string::npos ||
      inet_pton(AF_INET, address.substr(0, colon).c_str(), &target.sin_addr) != 1) {
    std::fprintf(stderr, "--address=%s: expected IPv4:port\n", address.c_str());
    return 2;
  }
  const long port = std::strtol(address.c_str() + colon + 1, nullptr, 10);
  if (port < 1 || port > 65535) {
    std::fprintf(stderr, "--address=%s: port out of range\n", address.c_str());
    return 2;
  }
  target.sin_port = htons(static_cast<uint16_t>(port));
  if (concurrency < 1 || concurrency > kMaxConcurrency || connections < 1 ||
      connections > kMaxConnections || !(seconds > 0)) {
    std::fprintf(stderr, "--concurrency 1..%lld, --connections 1..%lld, --seconds > 0\n",
                 static_cast<long long>(kMaxConcurrency), static_cast<long long>(kMaxConnections));
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  SSL_CTX* context = MakeContext(ciphers);
  int status;
  {
    Clients clients(target, context);
    if (mode == "handshakes") {
      status = RunHandshakes(clients, resume, concurrency, seconds);
    } else if (mode == "idle") {
      status = RunIdle(clients, connections, concurrency, seconds);
    } else {
      std::fprintf(stderr, "--mode=%s: expected handshakes or idle\n", mode.c_str());
      status = 2;
    }
  }
  SSL_CTX_free(context);
  return status;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) { return switchboard::bench::Main(argc, argv); }
