// The OpenSSL contexts the gateway's TLS connections are made from: one for its TLS listener
// (a certificate chain and key, optionally a CA its clients' certificates must chain to) and one
// per backend service configured with `tls:`.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace switchboard::gateway::transport {

struct TlsServerFiles {
  std::string cert_file;       // PEM: the certificate, then its chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CAs; when set, a client certificate is required
};

struct TlsClientFiles {
  std::string ca_file;    // PEM CAs the backend's certificate must chain to (empty: the system's)
  std::string cert_file;  // a client certificate (mTLS), with key_file
  std::string key_file;
};

// TLS 1.2 and 1.3 only, forward-secret AEAD suites, session tickets, ALPN h2 then http/1.1.
// Every file is read now: an error names the file and what is wrong with it.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsServerFiles& files);
// TLS 1.2 and 1.3, the server's certificate verified, ALPN h2.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const TlsClientFiles& files);

}  // namespace switchboard::gateway::transport
