// A local certificate authority for `switchboard up --tls`, as mkcert makes one: a CA kept in
// the data directory (trusted once by the user, reused by every later `up`) and a certificate
// for the gateway signed by it, naming 127.0.0.1, ::1 and localhost.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace switchboard::cli {

struct LocalTlsFiles {
  std::string ca_cert;      // what clients trust: curl --cacert, grpc's pem_root_certs
  std::string server_cert;  // the gateway's chain (its certificate, then the CA's)
  std::string server_key;
};

// Makes `dir` (mode 0700) and whatever of the CA and the gateway's certificate is missing or
// expires within a week; keys are written mode 0600. `host` is named in the certificate too.
absl::StatusOr<LocalTlsFiles> EnsureLocalTls(const std::filesystem::path& dir,
                                             const std::string& host);

}  // namespace switchboard::cli
