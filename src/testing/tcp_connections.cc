#include "testing/tcp_connections.h"

#include <fstream>
#include <sstream>
#include <string>

namespace switchboard::testing {
namespace {

constexpr char kEstablished[] = "01";  // /proc/net/tcp's state column
constexpr int kHex = 16;

}  // namespace

int EstablishedConnectionsTo(int port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  int count = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    const auto colon = remote.find(':');
    if (colon == std::string::npos) continue;
    if (std::stoi(remote.substr(colon + 1), nullptr, kHex) == port && state == kEstablished) {
      ++count;
    }
  }
  return count;
}

}  // namespace switchboard::testing
