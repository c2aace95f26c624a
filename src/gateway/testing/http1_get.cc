#include "gateway/testing/http1_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace switchboard::gateway::testing {

HttpResponse HttpGet(int port, const std::string& target, const Headers& headers,
                     std::chrono::seconds timeout) {
  HttpResponse response;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return response;
  }
  std::string request = absl::StrCat("GET ", target, " HTTP/1.1\r\nhost: 127.0.0.1\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&request, name, ": ", value, "\r\n");
  request += "connection: close\r\n\r\n";
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string received;
  char buffer[16384];
  ssize_t n = 0;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) received.append(buffer, n);
  ::close(fd);
  const size_t end = received.find("\r\n\r\n");
  if (received.size() < 12 || end == std::string::npos) return response;
  (void)absl::SimpleAtoi(received.substr(9, 3), &response.status);
  size_t line = received.find("\r\n") + 2;
  while (line < end) {
    const size_t next = received.find("\r\n", line);
    const std::string field = received.substr(line, next - line);
    const size_t colon = field.find(':');
    if (colon != std::string::npos) {
      response.headers[absl::AsciiStrToLower(field.substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(field.substr(colon + 1)));
    }
    line = next + 2;
  }
  response.body = received.substr(end + 4);
  return response;
}

}  // namespace switchboard::gateway::testing
