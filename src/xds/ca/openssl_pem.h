// OpenSSL 3 handles that free themselves, errors as absl::Status, and PEM in and out of strings
// and files: what the mesh's certificate authority and its workload side share.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace switchboard::xds::ca {

struct OpenSslFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(X509* certificate) const { X509_free(certificate); }
  void operator()(X509_REQ* request) const { X509_REQ_free(request); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using CertificatePtr = std::unique_ptr<X509, OpenSslFree>;
using RequestPtr = std::unique_ptr<X509_REQ, OpenSslFree>;

// `what` failed, with OpenSSL's first queued error (the queue is then cleared).
absl::Status OpenSslError(const std::string& what);

// A new P-256 key: what workloads and the CA use (small certificates, fast handshakes).
absl::StatusOr<KeyPtr> NewP256Key();

std::string KeyToPem(EVP_PKEY* key);
std::string CertificateToPem(X509* certificate);
// Null when `pem` holds no such object.
KeyPtr KeyFromPem(const std::string& pem);
CertificatePtr CertificateFromPem(const std::string& pem);

// A certificate's notAfter / notBefore as a time point.
std::chrono::system_clock::time_point NotAfter(X509* certificate);
std::chrono::system_clock::time_point NotBefore(X509* certificate);

// The whole file, refusing one larger than `max_bytes` (InvalidArgument naming it).
absl::StatusOr<std::string> ReadSmallFile(const std::filesystem::path& path, size_t max_bytes);
// Writes `text` to `path` with `mode`, through a temporary file renamed into place, so a reader
// never sees half a file and the mode is set before any byte is written.
absl::Status WriteFileAtomically(const std::filesystem::path& path, const std::string& text,
                                 mode_t mode);

}  // namespace switchboard::xds::ca
