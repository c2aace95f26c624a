#include "testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <stdexcept>

namespace switchboard::testing {
namespace {

constexpr size_t kPumpBuffer = 64 * 1024;
constexpr int kPortBlockAttempts = 200;
constexpr int kLowestPort = 20000;
constexpr int kHighestPort = 60000;

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

bool PortFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in addr = Loopback(port);
  const bool free = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return free;
}

}  // namespace

TcpProxy::TcpProxy(std::vector<int> backends) : backends_(std::move(backends)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(0);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("tcp proxy: cannot listen");
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& thread : threads_) thread.join();
  for (int fd : open_fds_) close(fd);
}

void TcpProxy::AcceptLoop() {
  size_t next = 0;
  while (!stopping_) {
    const int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) return;
    const int upstream = socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in addr = Loopback(backends_[next++ % backends_.size()]);
    if (connect(upstream, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(client);
      close(upstream);
      continue;
    }
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(client);
    open_fds_.push_back(upstream);
    threads_.emplace_back([this, client, upstream] { Pump(client, upstream); });
    threads_.emplace_back([this, client, upstream] { Pump(upstream, client); });
  }
}

void TcpProxy::Pump(int from, int to) {
  std::vector<char> buffer(kPumpBuffer);
  while (true) {
    const ssize_t n = read(from, buffer.data(), buffer.size());
    if (n <= 0) break;
    for (ssize_t sent = 0; sent < n;) {
      const ssize_t w = write(to, buffer.data() + sent, static_cast<size_t>(n - sent));
      if (w <= 0) {
        shutdown(from, SHUT_RDWR);
        return;
      }
      sent += w;
    }
  }
  shutdown(to, SHUT_WR);
}

int FreePortBlock(int count) {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pick(kLowestPort, kHighestPort - count);
  for (int attempt = 0; attempt < kPortBlockAttempts; ++attempt) {
    const int first = pick(random);
    bool all_free = true;
    for (int port = first; port < first + count && all_free; ++port) all_free = PortFree(port);
    if (all_free) return first;
  }
  throw std::runtime_error("no block of free ports found");
}

}  // namespace switchboard::testing
