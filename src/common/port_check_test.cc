// What holds a port, told apart on real loopback sockets: nothing, a listener (and which
// process), or only the local end of a connection, live or in TIME_WAIT.
#include "common/port_check.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace switchboard::common {
namespace {

constexpr char kLoopback[] = "127.0.0.1";

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

int PortOf(int fd) {
  sockaddr_in addr{};
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  return ntohs(addr.sin_port);
}

// A listener on a free port.
int Listen() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(listen(fd, SOMAXCONN), 0);
  return fd;
}

// A connection from a port the client binds itself (no SO_REUSEADDR, as most clients) to
// `server`; *accepted is the server's end.
int Connect(int server, int* accepted) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local = Loopback(0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
  sockaddr_in remote = Loopback(PortOf(server));
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)), 0);
  *accepted = accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
  EXPECT_GE(*accepted, 0);
  return fd;
}

TEST(PortCheck, AListenerIsNamedWithItsProcess) {
  const int server = Listen();
  const PortUse use = CheckPort(kLoopback, PortOf(server));
  EXPECT_EQ(use.kind, PortUse::Kind::kListener);
  EXPECT_EQ(use.holder.rfind("pid " + std::to_string(getpid()) + " (", 0), 0u) << use.holder;
  EXPECT_EQ(DescribePortUse(use), "the port is in use by " + use.holder);
  // A listener is not waited for.
  const PortUse awaited = AwaitPort(kLoopback, PortOf(server));
  EXPECT_EQ(awaited.kind, PortUse::Kind::kListener);
  EXPECT_LT(awaited.waited, kConnectionHeldPortWait);
  close(server);
}

TEST(PortCheck, AConnectionsLocalEndIsNotAListener) {
  const int server = Listen();
  int accepted = -1;
  const int client = Connect(server, &accepted);
  const int port = PortOf(client);
  const PortUse live = CheckPort(kLoopback, port);
  EXPECT_EQ(live.kind, PortUse::Kind::kConnection);
  EXPECT_EQ(live.holder, "127.0.0.1:" + std::to_string(port) +
                             " -> 127.0.0.1:" + std::to_string(PortOf(server)) + " ESTABLISHED");
  EXPECT_FALSE(live.only_time_wait);
  EXPECT_NE(DescribePortUse(live).find("not a listener"), std::string::npos);

  // The client closes first: its end stays in TIME_WAIT, and still blocks a bind.
  close(client);
  close(accepted);
  const PortUse closing = CheckPort(kLoopback, port);
  EXPECT_EQ(closing.kind, PortUse::Kind::kConnection) << closing.holder;
  EXPECT_NE(closing.holder.find("TIME_WAIT"), std::string::npos) << closing.holder;
  EXPECT_TRUE(closing.only_time_wait);
  close(server);
}

TEST(PortCheck, AReleasedPortIsFree) {
  const int server = Listen();
  int accepted = -1;
  const int client = Connect(server, &accepted);
  const int port = PortOf(client);
  // The server's end closes first, so the client's end leaves no TIME_WAIT behind.
  close(accepted);
  close(client);
  const PortUse use = AwaitPort(kLoopback, port);
  EXPECT_EQ(use.kind, PortUse::Kind::kFree) << use.holder;
  EXPECT_EQ(DescribePortUse(use), "");
  close(server);
  // A host name is the server's to resolve and report.
  EXPECT_EQ(CheckPort("localhost", port).kind, PortUse::Kind::kFree);
}

}  // namespace
}  // namespace switchboard::common
