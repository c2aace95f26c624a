#include "common/bus/testing/nats_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard::bus::testing {
namespace {

constexpr char kDebianPath[] = "/usr/sbin/nats-server";
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kStopTimeout = std::chrono::seconds(5);
constexpr auto kPoll = std::chrono::milliseconds(20);

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::string> FindNatsServer() {
  if (Executable(kDebianPath)) return std::string(kDebianPath);
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      std::string candidate = absl::StrCat(dir, "/nats-server");
      if (Executable(candidate)) return candidate;
    }
  }
  return absl::NotFoundError(
      "nats-server not found at /usr/sbin/nats-server or on PATH: install Debian's nats-server "
      "(scripts/install-deps.sh does)");
}

absl::StatusOr<std::unique_ptr<NatsServer>> NatsServer::Start() {
  auto binary = FindNatsServer();
  if (!binary.ok()) return binary.status();
  std::unique_ptr<NatsServer> server(new NatsServer(*binary, switchboard::testing::FreePort()));
  if (auto started = server->Launch(); !started.ok()) return started;
  return server;
}

NatsServer::NatsServer(std::string binary, int port) : binary_(std::move(binary)), port_(port) {}

NatsServer::~NatsServer() {
  if (process_) process_->Stop(SIGTERM, kStopTimeout);
}

std::string NatsServer::url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

absl::Status NatsServer::Launch() {
  const std::string log = absl::StrCat(dir_.path(), "/nats-", ++launches_, ".log");
  process_ = std::make_unique<switchboard::testing::ChildProcess>(
      std::vector<std::string>{binary_, "-a", "127.0.0.1", "-p", std::to_string(port_), "-js",
                               "-sd", dir_.path() + "/store"},
      log);
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!Accepts(port_)) {
    if (!process_->Running() || std::chrono::steady_clock::now() > deadline) {
      return absl::UnavailableError(
          absl::StrCat("nats-server on port ", port_, " did not start: ", process_->Output()));
    }
    std::this_thread::sleep_for(kPoll);
  }
  return absl::OkStatus();
}

void NatsServer::Kill() {
  if (process_) process_->Stop(SIGKILL, kStopTimeout);
}

absl::Status NatsServer::Restart() { return Launch(); }

std::string NatsServer::Output() const { return process_ ? process_->Output() : std::string(); }

}  // namespace switchboard::bus::testing
