#include "common/port_check.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/duration.h"

namespace switchboard::common {
namespace {

// /proc/net/tcp's state column (include/net/tcp_states.h).
constexpr int kTcpTimeWait = 0x06;
constexpr int kTcpListen = 0x0A;
constexpr const char* kTcpStates[] = {"",           "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                      "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                      "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
constexpr std::chrono::milliseconds kPortPoll{100};
// A process's command line is shown up to this long.
constexpr size_t kMaxCommandBytes = 80;

struct Socket {
  std::string local;
  std::string remote;
  int state = 0;
  std::string inode;
};

// "0100007F:C351" (little-endian IPv4) or 32 hex digits (IPv6) -> "127.0.0.1:50001".
std::string Endpoint(const std::string& hex, int* port) {
  const auto colon = hex.find(':');
  if (colon == std::string::npos) return hex;
  unsigned int value = 0;
  absl::SimpleHexAtoi(hex.substr(colon + 1), &value);
  *port = static_cast<int>(value);
  const std::string address = hex.substr(0, colon);
  char text[INET6_ADDRSTRLEN] = {};
  if (address.size() == 8) {
    uint32_t raw = 0;
    absl::SimpleHexAtoi(address, &raw);
    in_addr v4{};
    v4.s_addr = raw;  // /proc prints the in-memory (network order) word as a host integer
    inet_ntop(AF_INET, &v4, text, sizeof(text));
    return absl::StrCat(text, ":", value);
  }
  in6_addr v6{};
  for (size_t word = 0; word < 4 && address.size() == 32; ++word) {
    uint32_t raw = 0;
    absl::SimpleHexAtoi(address.substr(word * 8, 8), &raw);
    std::memcpy(&v6.s6_addr[word * 4], &raw, sizeof(raw));
  }
  inet_ntop(AF_INET6, &v6, text, sizeof(text));
  return absl::StrCat("[", text, "]:", value);
}

// Every TCP socket whose local port is `port`.
std::vector<Socket> SocketsOnPort(int port) {
  std::vector<Socket> sockets;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      const std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      if (fields.size() < 10) continue;
      Socket socket;
      int local_port = 0;
      int remote_port = 0;
      socket.local = Endpoint(fields[1], &local_port);
      socket.remote = Endpoint(fields[2], &remote_port);
      if (local_port != port) continue;
      unsigned int state = 0;
      absl::SimpleHexAtoi(fields[3], &state);
      socket.state = static_cast<int>(state);
      socket.inode = fields[9];
      sockets.push_back(socket);
    }
  }
  return sockets;
}

// "pid 4242 (switchboard serve ticket)" for the process with the socket `inode` open.
std::string ProcessWithSocket(const std::string& inode) {
  const std::string link = absl::StrCat("socket:[", inode, "]");
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return "";
  std::string found;
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    const std::string fd_dir = absl::StrCat("/proc/", pid, "/fd");
    DIR* fds = opendir(fd_dir.c_str());
    if (fds == nullptr) continue;
    while (dirent* fd = readdir(fds)) {
      char target[64] = {};
      const std::string path = absl::StrCat(fd_dir, "/", fd->d_name);
      const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
      if (n <= 0 || link != std::string(target, static_cast<size_t>(n))) continue;
      std::ifstream cmdline(absl::StrCat("/proc/", pid, "/cmdline"));
      std::string command((std::istreambuf_iterator<char>(cmdline)),
                          std::istreambuf_iterator<char>());
      for (char& c : command) c = c == '\0' ? ' ' : c;
      while (!command.empty() && command.back() == ' ') command.pop_back();
      if (command.size() > kMaxCommandBytes) command = command.substr(0, kMaxCommandBytes) + "...";
      found = absl::StrCat("pid ", pid, " (", command, ")");
      break;
    }
    closedir(fds);
    if (!found.empty()) break;
  }
  closedir(proc);
  return found;
}

bool CanBind(const std::string& host, int port, bool* is_ip) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(*v6);
  } else {
    *is_ip = false;
    return true;
  }
  *is_ip = true;
  const int fd = socket(storage.ss_family, SOCK_STREAM, 0);
  if (fd < 0) return false;
  // As the servers bind: connections of a system stopped a moment ago (TIME_WAIT) do not
  // make the port busy.
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0;
  close(fd);
  return bound;
}

}  // namespace

PortUse CheckPort(const std::string& host, int port) {
  bool is_ip = false;
  if (port == 0 || CanBind(host, port, &is_ip)) return PortUse{};
  const std::vector<Socket> sockets = SocketsOnPort(port);
  for (const Socket& socket : sockets) {
    if (socket.state == kTcpListen) {
      return PortUse{PortUse::Kind::kListener, ProcessWithSocket(socket.inode)};
    }
  }
  if (!sockets.empty()) {
    const Socket& socket = sockets.front();
    const char* state = socket.state > 0 && socket.state < static_cast<int>(std::size(kTcpStates))
                            ? kTcpStates[socket.state]
                            : "?";
    PortUse use{PortUse::Kind::kConnection,
                absl::StrCat(socket.local, " -> ", socket.remote, " ", state)};
    use.only_time_wait = std::all_of(sockets.begin(), sockets.end(),
                                     [](const Socket& s) { return s.state == kTcpTimeWait; });
    return use;
  }
  // Bound but neither listening nor connected (a socket between bind and listen): taken.
  return PortUse{PortUse::Kind::kListener, ""};
}

PortUse AwaitPort(const std::string& host, int port) {
  const auto start = std::chrono::steady_clock::now();
  bool said = false;
  while (true) {
    PortUse use = CheckPort(host, port);
    use.waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (use.kind != PortUse::Kind::kConnection) return use;
    const auto limit = use.only_time_wait ? kTimeWaitPortWait : kConnectionHeldPortWait;
    if (use.waited >= limit) return use;
    if (!said) {
      spdlog::info(
          "port {}:{} is held by a connection ({}), not a listener; waiting up to {} "
          "for it to be released",
          host, port, use.holder, FormatDuration(limit));
      said = true;
    }
    std::this_thread::sleep_for(kPortPoll);
  }
}

std::string DescribePortUse(const PortUse& use) {
  switch (use.kind) {
    case PortUse::Kind::kFree:
      return "";
    case PortUse::Kind::kListener:
      return use.holder.empty() ? "the port is in use"
                                : absl::StrCat("the port is in use by ", use.holder);
    case PortUse::Kind::kConnection:
      return absl::StrCat("the port is held by a connection (", use.holder,
                          "), not a listener: a client's local port, inside the ephemeral range; "
                          "it was not released within ",
                          FormatDuration(use.waited));
  }
  return "";
}

}  // namespace switchboard::common
