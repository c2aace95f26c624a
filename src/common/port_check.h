// Who holds a TCP port that cannot be bound: a listener (and its process), or only the local
// end of connections. The default ports lie inside Linux's ephemeral range (32768-60999), so a
// client connection can hold one for a while with nothing listening there; that is worth
// waiting for, a listener is not.
#pragma once

#include <chrono>
#include <string>

namespace switchboard::common {

// How long a port held only by connections is waited for before giving up on it: a live
// connection's end for kConnectionHeldPortWait; an end in TIME_WAIT, which Linux keeps for
// 60 s (TCP_TIMEWAIT_LEN) and which blocks a bind when its socket was not SO_REUSEADDR, until
// it is gone.
inline constexpr std::chrono::milliseconds kConnectionHeldPortWait{10000};
inline constexpr std::chrono::milliseconds kTimeWaitPortWait{61000};

struct PortUse {
  enum class Kind { kFree, kListener, kConnection };
  Kind kind = Kind::kFree;
  // Kind::kListener: "pid 4242 (switchboard serve ticket)", or "" when no process shows it.
  // Kind::kConnection: "127.0.0.1:50052 -> 127.0.0.1:8080 ESTABLISHED".
  std::string holder;
  // Kind::kConnection: every connection on the port is in TIME_WAIT.
  bool only_time_wait = false;
  // AwaitPort: how long it waited.
  std::chrono::milliseconds waited{0};
};

// Whether a server could bind host:port now (as grpc++ binds: SO_REUSEADDR, so connections
// in TIME_WAIT do not count), and if not, what holds it. A host that is not an IP address is
// reported free: the server resolves and reports it.
PortUse CheckPort(const std::string& host, int port);

// CheckPort, waiting (and saying so in the log) while only connections hold the port: up to
// kTimeWaitPortWait while they are all in TIME_WAIT, else up to kConnectionHeldPortWait.
PortUse AwaitPort(const std::string& host, int port);

// "the port is in use by pid 4242 (switchboard serve ticket)"; "the port is held by a
// connection (127.0.0.1:50052 -> 127.0.0.1:8080 ESTABLISHED), not a listener: ...; it was not
// released within 10s". Empty for a free port.
std::string DescribePortUse(const PortUse& use);

}  // namespace switchboard::common
