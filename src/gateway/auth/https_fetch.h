// One bounded HTTPS GET, for documents the gateway fetches itself (a JWKS from a jwks_uri):
// the server's certificate and name verified, a deadline for the whole exchange, a cap on the
// body, and no redirects followed. Blocking: callers run it on a thread of their own, never on
// an event loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard::gateway::auth {

// An https URL split for the request; `text` is the URL as configured (for log lines).
struct HttpsUrl {
  std::string text;
  std::string host;  // a name, or an IP address (without the brackets of an IPv6 one)
  uint16_t port = 443;
  std::string target;  // path and query, "/" at least
};

// A URL longer than this is a mistake in the configuration, not an address.
inline constexpr size_t kMaxUrlBytes = 2048;

// Accepts https://host[:port][/path][?query] only: any other scheme, user info, a fragment or
// an empty host is an error naming the URL.
absl::StatusOr<HttpsUrl> ParseHttpsUrl(std::string_view url);

struct HttpsFetchLimits {
  std::chrono::milliseconds timeout{0};  // resolve, connect, handshake, request and response
  size_t max_body_bytes = 0;
};

// GETs documents over TLS with `tls` (a client context: its roots verify the server, and the
// host name or IP address of the URL must match its certificate). Each Get runs an io_context
// of its own on the calling thread until the exchange is over.
class HttpsClient {
 public:
  HttpsClient(std::shared_ptr<boost::asio::ssl::context> tls, HttpsFetchLimits limits);

  // The body of a 200 answer; any other status (a redirect too), a body above the limit, a
  // missed deadline or a certificate that does not verify is an error saying which.
  absl::StatusOr<std::string> Get(const HttpsUrl& url);
  // Any thread: ends a Get in progress, and makes every later one fail at once.
  void Cancel();

 private:
  const std::shared_ptr<boost::asio::ssl::context> tls_;
  const HttpsFetchLimits limits_;
  std::mutex mutex_;
  boost::asio::io_context* running_ = nullptr;  // the io_context of the Get in progress
  bool cancelled_ = false;
};

}  // namespace switchboard::gateway::auth
