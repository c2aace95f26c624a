// `switchboard up` and `switchboard serve` as a user runs them: real processes, real ports.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "common/health_probe.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/tcp_proxy.h"
#include "testing/temp_dir.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::FreePort;
using testing::SwitchboardBinary;

constexpr const char* kServices[] = {"ticket", "booking", "payment", "fraud", "user",
                                     "notification", "stock", "upload", "chat"};
// `up` prints its table once every service and the gateway are ready.

// True when something accepts TCP connections on 127.0.0.1:port.
bool Listening(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return connected;
}

// True while `pid` runs: a process that has exited (a zombie waiting to be reaped) does not.
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  // "pid (comm) S ...": the state letter follows the last ')', as comm may hold one too.
  const auto paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return false;
  const char state = text[paren + 2];
  return state != 'Z' && state != 'X';
}

// The whole HTTP/1.1 response to GET `path` on 127.0.0.1:port (head and body), or "" when
// nothing answers within a few seconds.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n = 0;
      while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
    }
  }
  close(fd);
  return response;
}

// One row of the table `up` prints: "NAME  127.0.0.1:PORT  PID".
struct TableRow {
  int port = 0;
  pid_t pid = 0;
};

std::map<std::string, TableRow> ParseTable(const std::string& output) {
  std::map<std::string, TableRow> rows;
  std::istringstream lines(output);
  const std::regex row(R"(^(\S+) +127\.0\.0\.1:([0-9]+) +([0-9]+)$)");
  std::string line;
  std::smatch match;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, match, row)) {
      rows[match[1].str()] = {std::stoi(match[2].str()), std::stoi(match[3].str())};
    }
  }
  return rows;
}

// Waits until `up` has printed its table ("... healthy ..."), exited, or `limit` passed.
void WaitForHealthy(ChildProcess& up, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (up.Output().find("healthy") == std::string::npos && up.Running() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Kills, when the test ends, any child of `up` still running then (only ever after a failure),
// so a failing test leaves no server behind. Declared before `up`, so `up` is stopped first.
class LeftoverKiller {
 public:
  ~LeftoverKiller() {
    for (const pid_t pid : pids_) {
      std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
      std::string command((std::istreambuf_iterator<char>(cmdline)),
                          std::istreambuf_iterator<char>());
      // A pid reused by some other program is left alone.
      if (Alive(pid) && command.find("switchboard") != std::string::npos) kill(pid, SIGKILL);
    }
  }
  void Add(pid_t pid) { pids_.push_back(pid); }

 private:
  std::vector<pid_t> pids_;
};

// A config with every service on a free port, so the test never collides with a running system.
std::map<std::string, int> WriteConfig(const std::string& path) {
  std::map<std::string, int> ports;
  std::ofstream out(path);
  ports["gateway"] = FreePort();
  out << "gateway_port: " << ports["gateway"] << "\n";
  out << "services:\n";
  for (const char* name : kServices) {
    ports[name] = FreePort();
    out << "  " << name << ": {port: " << ports[name] << "}\n";
  }
  return ports;
}

TEST(Up, StartsEveryServiceAndStopsCleanly) {
  testing::TempDir dir;
  const auto ports = WriteConfig(dir.path() + "/config.yaml");
  LeftoverKiller leftovers;
  ChildProcess up({SwitchboardBinary(), "up", "--config", dir.path() + "/config.yaml",
                   "--data-dir", dir.path() + "/var"},
                  dir.path() + "/up.log");
  const std::string ticket = "127.0.0.1:" + std::to_string(ports.at("ticket"));
  ASSERT_TRUE(common::WaitForServing(ticket, std::chrono::seconds(30))) << up.Output();

  // The table is printed once everything is healthy.
  WaitForHealthy(up, std::chrono::seconds(30));
  const std::string output = up.Output();
  ASSERT_NE(output.find("healthy"), std::string::npos) << output;
  EXPECT_NE(output.find(ticket), std::string::npos) << output;
  // One row per service and the gateway, each on its configured port.
  const auto table = ParseTable(output);
  for (const auto& [name, row] : table) leftovers.Add(row.pid);
  for (const auto& [name, port] : ports) {
    ASSERT_EQ(table.count(name), 1u) << name << " is not in the table\n" << output;
    EXPECT_EQ(table.at(name).port, port) << name << "\n" << output;
    EXPECT_TRUE(Listening(port)) << name << " does not listen on " << port;
  }
  EXPECT_EQ(table.size(), ports.size()) << output;

  auto stub = ticket::v1::TicketService::NewStub(
      grpc::CreateChannel(ticket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  ticket::v1::GetEventRequest request;
  request.set_id("evt-1");
  ticket::v1::Event event;
  ASSERT_TRUE(stub->GetEvent(&context, request, &event).ok());
  EXPECT_EQ(event.id(), "evt-1");
  EXPECT_TRUE(std::ifstream(dir.path() + "/var/ticket.db").good());

  // The gateway in front of them proxies the same call.
  auto via_gateway = ticket::v1::TicketService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(ports.at("gateway")), grpc::InsecureChannelCredentials()));
  grpc::ClientContext gateway_context;
  gateway_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ticket::v1::Event proxied;
  grpc::Status proxied_status = via_gateway->GetEvent(&gateway_context, request, &proxied);
  ASSERT_TRUE(proxied_status.ok()) << proxied_status.error_message() << "\n" << up.Output();
  EXPECT_EQ(proxied.name(), event.name());
  EXPECT_NE(output.find("gateway"), std::string::npos) << output;

  const int status = up.Stop(SIGTERM, std::chrono::seconds(10));
  ASSERT_NE(status, -1) << "up did not stop within 10 s\n" << up.Output();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << up.Output();
  // Checked at once: when `up` has exited every child is gone and no port listens any more,
  // the gateway's as every service's.
  for (const auto& [name, row] : table) {
    EXPECT_FALSE(Listening(row.port))
        << name << " still listens on " << row.port << " after `switchboard up` exited";
    EXPECT_FALSE(Alive(row.pid)) << name << " (pid " << row.pid << ") outlived `switchboard up`";
  }
  EXPECT_FALSE(common::WaitForServing(ticket, std::chrono::milliseconds(300)))
      << "a service outlived `switchboard up`";
}

// What a browser opening the gateway gets after `up`: the app (--web, by default the source
// tree's web/dist that `make build` builds) at /, the API beside it on the same origin.
TEST(Up, ServesTheWebAppAtTheGatewayRoot) {
  testing::TempDir dir;
  const auto ports = WriteConfig(dir.path() + "/config.yaml");
  const std::string site = dir.path() + "/site";
  ASSERT_EQ(mkdir(site.c_str(), 0755), 0);
  const std::string index = "<!doctype html><title>Switchboard</title><p>the app</p>\n";
  std::ofstream(site + "/index.html") << index;
  LeftoverKiller leftovers;
  ChildProcess up({SwitchboardBinary(), "up", "--config", dir.path() + "/config.yaml",
                   "--data-dir", dir.path() + "/var", "--only", "ticket,gateway", "--web", site},
                  dir.path() + "/up.log");
  WaitForHealthy(up, std::chrono::seconds(30));
  ASSERT_NE(up.Output().find("healthy"), std::string::npos) << up.Output();
  for (const auto& [name, row] : ParseTable(up.Output())) leftovers.Add(row.pid);

  const std::string page = HttpGet(ports.at("gateway"), "/");
  EXPECT_EQ(page.rfind("HTTP/1.1 200", 0), 0u) << page;
  EXPECT_NE(page.find("content-type: text/html"), std::string::npos) << page;
  EXPECT_EQ(page.substr(page.size() - std::min(page.size(), index.size())), index) << page;
  const std::string event = HttpGet(ports.at("gateway"), "/events/evt-1");
  EXPECT_EQ(event.rfind("HTTP/1.1 200", 0), 0u) << event;
  EXPECT_NE(event.find("\"id\":\"evt-1\""), std::string::npos) << event;
  EXPECT_EQ(HttpGet(ports.at("gateway"), "/no-such-page.html").rfind("HTTP/1.1 404", 0), 0u);
  const int status = up.Stop(SIGTERM, std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << up.Output();
}

TEST(Up, ReportsAPortInUse) {
  testing::TempDir dir;
  const auto ports = WriteConfig(dir.path() + "/config.yaml");
  // Occupy ticket's port with another server first.
  ChildProcess squatter({SwitchboardBinary(), "serve", "ticket", "--port",
                         std::to_string(ports.at("ticket")), "--data-dir", dir.path() + "/other"},
                        dir.path() + "/squatter.log");
  const std::string ticket = "127.0.0.1:" + std::to_string(ports.at("ticket"));
  ASSERT_TRUE(common::WaitForServing(ticket, std::chrono::seconds(20))) << squatter.Output();
  ChildProcess up({SwitchboardBinary(), "up", "--config", dir.path() + "/config.yaml",
                   "--data-dir", dir.path() + "/var", "--ready-timeout", "5s"},
                  dir.path() + "/up.log");
  const int status = up.Stop(0, std::chrono::seconds(20));  // signal 0: just wait
  ASSERT_NE(status, -1) << up.Output();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << up.Output();
  EXPECT_NE(up.Output().find("cannot listen"), std::string::npos) << up.Output();
}

TEST(Serve, UnknownServiceAndBadConfigFailWithAMessage) {
  testing::TempDir dir;
  ChildProcess unknown({SwitchboardBinary(), "serve", "nosuch"}, dir.path() + "/a.log");
  int status = unknown.Stop(0, std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  EXPECT_NE(unknown.Output().find("unknown service \"nosuch\""), std::string::npos)
      << unknown.Output();

  std::ofstream(dir.path() + "/bad.yaml") << "services:\n  ticket: {port: http}\n";
  ChildProcess bad({SwitchboardBinary(), "serve", "ticket", "--config", dir.path() + "/bad.yaml"},
                   dir.path() + "/b.log");
  status = bad.Stop(0, std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  EXPECT_NE(bad.Output().find("services.ticket.port"), std::string::npos) << bad.Output();
}

TEST(Up, ReplicasShareTheLoadAndOneThatDiesIsStartedAgain) {
  testing::TempDir dir;
  const int ticket_port = testing::FreePortBlock(3);
  const int gateway_port = FreePort();
  std::ofstream(dir.path() + "/config.yaml")
      << "gateway_port: " << gateway_port << "\nservices:\n  ticket: {port: " << ticket_port
      << "}\n";
  ChildProcess up({SwitchboardBinary(), "up", "--config", dir.path() + "/config.yaml",
                   "--data-dir", dir.path() + "/var", "--only", "ticket,gateway", "--replicas",
                   "ticket=3"},
                  dir.path() + "/up.log");
  WaitForHealthy(up, std::chrono::seconds(30));
  ASSERT_NE(up.Output().find("healthy"), std::string::npos) << up.Output();
  for (int replica = 1; replica <= 3; ++replica) {
    EXPECT_NE(up.Output().find("ticket-" + std::to_string(replica) + "       127.0.0.1:" +
                               std::to_string(ticket_port + replica - 1)),
              std::string::npos)
        << up.Output();
  }

  // Through the gateway, per request: every replica answers some of one connection's calls.
  auto stub = ticket::v1::TicketService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(gateway_port), grpc::InsecureChannelCredentials()));
  std::map<std::string, int> answered_by;
  for (int i = 0; i < 300; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ticket::v1::GetEventRequest request;
    request.set_id("evt-1");
    ticket::v1::Event event;
    ASSERT_TRUE(stub->GetEvent(&context, request, &event).ok()) << up.Output();
    auto id = context.GetServerInitialMetadata().find("x-server-id");
    ASSERT_NE(id, context.GetServerInitialMetadata().end());
    ++answered_by[std::string(id->second.data(), id->second.size()).substr(0, 8)];
  }
  EXPECT_EQ(answered_by.size(), 3u);

  // A replica that dies is started again; `up` keeps running.
  const std::string second = "127.0.0.1:" + std::to_string(ticket_port + 1);
  std::smatch row;
  const std::string output = up.Output();
  ASSERT_TRUE(std::regex_search(output, row, std::regex("ticket-2 +" + second + " +([0-9]+)")))
      << output;
  const pid_t pid = std::stoi(row[1].str());
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(common::WaitForServing(second, std::chrono::seconds(10))) << up.Output();
  EXPECT_NE(up.Output().find("replica ticket-2 started again"), std::string::npos)
      << up.Output();
  EXPECT_TRUE(up.Running());

  const int status = up.Stop(SIGTERM, std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << up.Output();
  for (int replica = 0; replica < 3; ++replica) {
    EXPECT_FALSE(common::WaitForServing("127.0.0.1:" + std::to_string(ticket_port + replica),
                                        std::chrono::milliseconds(300)));
  }
}

TEST(Up, XdsControlPlaneCarriesCallsBetweenReplicatedServices) {
  testing::TempDir dir;
  const int ticket_port = testing::FreePortBlock(3);
  const std::string xds = "127.0.0.1:" + std::to_string(FreePort());
  std::ofstream config(dir.path() + "/config.yaml");
  config << "xds: " << xds << "\nservices:\n  ticket: {port: " << ticket_port << "}\n";
  std::map<std::string, int> ports;
  for (const char* name : {"booking", "payment", "fraud", "notification"}) {
    ports[name] = FreePort();
    config << "  " << name << ": {port: " << ports[name] << "}\n";
  }
  config.close();
  ChildProcess up({SwitchboardBinary(), "up", "--config", dir.path() + "/config.yaml",
                   "--data-dir", dir.path() + "/var", "--only",
                   "ticket,booking,payment,fraud,notification", "--replicas", "ticket=3"},
                  dir.path() + "/up.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (up.Output().find("healthy") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline && up.Running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(up.Output().find("healthy"), std::string::npos) << up.Output();
  EXPECT_NE(up.Output().find("xds            " + xds), std::string::npos) << up.Output();

  // Booking reaches ticket and payment (and payment fraud) through xds:///<service>.
  auto booking = booking::v1::BookingService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(ports.at("booking")), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 12; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    booking::v1::CreateBookingRequest request;
    request.set_event_id("evt-1");
    request.set_user_id("user-" + std::to_string(i));
    request.set_seats(1);
    booking::v1::Booking created;
    const grpc::Status status = booking->CreateBooking(&context, request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << up.Output();
  }

  // The control plane knows every replica, each from its own registration.
  ChildProcess list({SwitchboardBinary(), "xds", "list", "--server", xds, "--service", "ticket"},
                    dir.path() + "/list.log");
  ASSERT_EQ(list.Stop(0, std::chrono::seconds(10)), 0) << list.Output();
  for (int replica = 1; replica <= 3; ++replica) {
    EXPECT_NE(list.Output().find("ticket-" + std::to_string(replica) + "@127.0.0.1:" +
                                 std::to_string(ticket_port + replica - 1)),
              std::string::npos)
        << list.Output();
  }
  const int status = up.Stop(SIGTERM, std::chrono::seconds(15));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << up.Output();
}

TEST(Up, ChildrenDoNotOutliveAKilledUp) {
  testing::TempDir dir;
  const auto ports = WriteConfig(dir.path() + "/config.yaml");
  ChildProcess up({SwitchboardBinary(), "up", "--config", dir.path() + "/config.yaml",
                   "--data-dir", dir.path() + "/var", "--only", "ticket"},
                  dir.path() + "/up.log");
  const std::string ticket = "127.0.0.1:" + std::to_string(ports.at("ticket"));
  ASSERT_TRUE(common::WaitForServing(ticket, std::chrono::seconds(30))) << up.Output();
  up.Stop(SIGKILL, std::chrono::seconds(5));  // no chance to stop anything itself
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (common::WaitForServing(ticket, std::chrono::milliseconds(200)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(common::WaitForServing(ticket, std::chrono::milliseconds(300)))
      << "ticket outlived a killed `switchboard up`";
}

// `up --tls`: the gateway on HTTPS as well, with a certificate a client trusting only the
// printed CA file accepts, over HTTP/2.
TEST(Up, TlsServesTheGatewayOverHttpsWithTheLocalCa) {
  testing::TempDir dir;
  const auto ports = WriteConfig(dir.path() + "/config.yaml");
  const int tls_port = FreePort();
  LeftoverKiller leftovers;
  ChildProcess up({SwitchboardBinary(), "up", "--config", dir.path() + "/config.yaml",
                   "--data-dir", dir.path() + "/var", "--tls", "--tls-port",
                   std::to_string(tls_port)},
                  dir.path() + "/up.log");
  WaitForHealthy(up, std::chrono::seconds(60));
  const std::string output = up.Output();
  ASSERT_NE(output.find("healthy"), std::string::npos) << output;
  for (const auto& [name, row] : ParseTable(output)) leftovers.Add(row.pid);
  const std::string ca = dir.path() + "/var/tls/ca.pem";
  EXPECT_NE(output.find("curl --cacert " + ca), std::string::npos) << output;
  const std::string curl = "curl -sS --max-time 10 --http2 --cacert " + ca +
                           " -w '\\n%{http_version}' https://127.0.0.1:" +
                           std::to_string(tls_port) + "/events/evt-1";
  FILE* pipe = popen(curl.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string body;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) body.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << body;
  EXPECT_NE(body.find("\"id\":\"evt-1\""), std::string::npos) << body;
  EXPECT_EQ(body.substr(body.rfind('\n') + 1), "2") << body;
  const int status = up.Stop(SIGTERM, std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << up.Output();
}

}  // namespace
}  // namespace switchboard
