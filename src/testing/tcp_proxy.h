// A plain TCP (L4) proxy for tests: each accepted connection goes to the next backend in turn
// and stays there, which is what an L4 balancer does to one long-lived HTTP/2 connection.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::testing {

class TcpProxy {
 public:
  // Listens on 127.0.0.1 at a free port; `backends` are ports on 127.0.0.1.
  explicit TcpProxy(std::vector<int> backends);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void AcceptLoop();
  void Pump(int from, int to);

  std::vector<int> backends_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// The first of `count` consecutive free TCP ports on 127.0.0.1 (for a service's replicas).
int FreePortBlock(int count);

}  // namespace switchboard::testing
