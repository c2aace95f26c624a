// Replicas that share streams through NATS, as a user runs them: a real nats-server, then
// `switchboard up --replicas notification=2,stock=2` with the config naming it, and REST
// clients through the gateway, which spreads them over the replicas. Six subscribers of one
// user and six watchers of one symbol each receive all twelve notifications and prices
// published through the gateway, in order, whichever replica took each call.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "common/bus/testing/nats_server.h"
#include "testing/child_process.h"
#include "testing/tcp_proxy.h"
#include "testing/temp_dir.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::FreePort;
using testing::SwitchboardBinary;

constexpr auto kWait = std::chrono::seconds(20);
constexpr int kMessages = 12;
constexpr int kClients = 6;
constexpr const char* kOtherServices[] = {"ticket", "booking", "payment", "fraud",
                                          "user",   "upload",  "chat"};

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One HTTP/1.1 request with `Connection: close`; the whole response, "" on failure.
std::string Http(int port, const std::string& method, const std::string& path,
                 const std::string& content_type = "", const std::string& body = "") {
  const int fd = Connect(port);
  if (fd < 0) return "";
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!content_type.empty()) request += "content-type: " + content_type + "\r\n";
  request += "content-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string response;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t n = 0;
    while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  }
  close(fd);
  return response;
}

// A streaming GET (NDJSON) read on its own thread until the test ends it.
class StreamingGet {
 public:
  StreamingGet(int port, const std::string& path) : fd_(Connect(port)) {
    if (fd_ < 0) return;
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
    thread_ = std::thread([this] {
      char buffer[4096];
      while (!stopping_) {
        const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
        if (n == 0) break;
        if (n < 0) continue;  // receive timeout: look at stopping_ again
        std::lock_guard<std::mutex> lock(mutex_);
        received_.append(buffer, n);
      }
    });
  }
  ~StreamingGet() {
    stopping_ = true;
    if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  std::string received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  // Every match of `pattern`'s first group, in order of arrival.
  std::vector<std::string> All(const std::regex& pattern) {
    const std::string text = received();
    std::vector<std::string> found;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern);
         it != std::sregex_iterator(); ++it) {
      found.push_back((*it)[1].str());
    }
    return found;
  }

 private:
  const int fd_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::string received_;
};

std::vector<std::string> Expected(const std::string& prefix, int first) {
  std::vector<std::string> values;
  for (int i = 0; i < kMessages; ++i) values.push_back(prefix + std::to_string(first + i));
  return values;
}

TEST(SharedState, EveryReplicasClientsGetEveryMessageThroughNats) {
  auto nats = bus::testing::NatsServer::Start();
  ASSERT_TRUE(nats.ok()) << nats.status();
  testing::TempDir dir;
  const int gateway = FreePort();
  {
    std::ofstream config(dir.path() + "/config.yaml");
    config << "gateway_port: " << gateway << "\n"
           << "bus: {kind: nats, url: \"" << (*nats)->url() << "\"}\n"
           << "services:\n"
           << "  notification: {port: " << testing::FreePortBlock(2) << "}\n"
           << "  stock: {port: " << testing::FreePortBlock(2)
           << ", tick_interval: 1h, stream_queue: 64}\n";
    for (const char* name : kOtherServices)
      config << "  " << name << ": {port: " << FreePort() << "}\n";
  }
  ChildProcess up({SwitchboardBinary(), "up", "--config", dir.path() + "/config.yaml", "--data-dir",
                   dir.path() + "/var", "--only", "notification,stock,gateway", "--replicas",
                   "notification=2,stock=2"},
                  dir.path() + "/up.log");
  ASSERT_TRUE(WaitFor([&] { return up.Output().find("healthy") != std::string::npos; }))
      << up.Output();

  // A symbol nobody generates, so the watchers see only what is published.
  const std::string first_price = Http(gateway, "POST", "/stocks:publish", "application/x-ndjson",
                                       "{\"symbol\":\"SBX\",\"price\":1000}\n");
  ASSERT_EQ(first_price.rfind("HTTP/1.1 200", 0), 0u) << first_price << up.Output();

  const std::regex title(R"re("title":\s*"(n[0-9]+)")re");
  const std::regex price(R"re("price":\s*([0-9.]+))re");
  std::vector<std::unique_ptr<StreamingGet>> subscribers, watchers;
  for (int i = 0; i < kClients; ++i) {
    subscribers.push_back(std::make_unique<StreamingGet>(gateway, "/users/alice/notifications"));
    watchers.push_back(std::make_unique<StreamingGet>(gateway, "/stocks/SBX/watch"));
  }
  // Live once the response has begun (a subscription sends its headers once registered; a
  // watch its current price, 1000, which both stock replicas took from the bus).
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(WaitFor([&] {
      return subscribers[i]->received().find("200") != std::string::npos;
    })) << subscribers[i]->received();
    ASSERT_TRUE(WaitFor([&] {
      return watchers[i]->All(price) == std::vector<std::string>{"1000"};
    })) << watchers[i]->received();
  }
  for (int i = 0; i < kMessages; ++i) {
    const std::string notified =
        Http(gateway, "POST", "/users/alice/notifications", "application/json",
             "{\"title\":\"n" + std::to_string(i) + "\"}");
    ASSERT_EQ(notified.rfind("HTTP/1.1 200", 0), 0u) << notified;
    const std::string published =
        Http(gateway, "POST", "/stocks:publish", "application/x-ndjson",
             "{\"symbol\":\"SBX\",\"price\":" + std::to_string(1001 + i) + "}\n");
    ASSERT_EQ(published.rfind("HTTP/1.1 200", 0), 0u) << published;
  }
  for (int i = 0; i < kClients; ++i) {
    EXPECT_TRUE(WaitFor([&] { return subscribers[i]->All(title).size() >= kMessages; }))
        << "subscriber " << i << ": " << subscribers[i]->received();
    EXPECT_EQ(subscribers[i]->All(title), Expected("n", 0)) << "subscriber " << i;
    EXPECT_TRUE(WaitFor([&] { return watchers[i]->All(price).size() >= kMessages + 1; }))
        << "watcher " << i << ": " << watchers[i]->received();
    std::vector<std::string> prices = watchers[i]->All(price);
    if (!prices.empty()) prices.erase(prices.begin());  // 1000, the price before the twelve
    EXPECT_EQ(prices, Expected("", 1001)) << "watcher " << i;
  }
  subscribers.clear();
  watchers.clear();
  const int status = up.Stop(SIGTERM, std::chrono::seconds(15));
  EXPECT_NE(status, -1) << "up did not stop within 15 s\n" << up.Output();
}

}  // namespace
}  // namespace switchboard
