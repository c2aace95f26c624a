// The mesh's certificate authority: a P-256 key and self-signed root kept in the control
// plane's data directory (made once, reused on every restart), which signs workloads' CSRs
// into short-lived certificates whose only name is the SAN URI
// spiffe://<trust-domain>/service/<name> (a SPIFFE X.509-SVID).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "xds/ca/openssl_pem.h"

namespace switchboard::xds::ca {

using SystemClock = std::function<std::chrono::system_clock::time_point()>;

struct CaOptions {
  static constexpr char kDefaultTrustDomain[] = "switchboard.local";
  static constexpr std::chrono::seconds kDefaultLifetime{std::chrono::hours(24)};
  // Down to a second for tests of rotation; up to a month, beyond which "short-lived" and the
  // point of rotating are lost.
  static constexpr std::chrono::seconds kMinLifetime{1};
  static constexpr std::chrono::seconds kMaxLifetime{std::chrono::hours(24 * 30)};
  std::filesystem::path dir;  // holds ca.key (0600) and ca.pem; made 0700 if missing
  std::string trust_domain = kDefaultTrustDomain;
  std::chrono::seconds lifetime = kDefaultLifetime;  // of each workload certificate
  SystemClock clock = std::chrono::system_clock::now;
};

struct IssuedCertificate {
  std::string chain_pem;  // the workload's certificate, then the root
  std::string root_pem;
  std::chrono::system_clock::time_point not_after;
};

// InvalidArgument naming the value unless `trust_domain` is a SPIFFE trust domain: 1..255 of
// lowercase letters, digits, '.', '-' and '_'.
absl::Status ValidateTrustDomain(const std::string& trust_domain);
// InvalidArgument naming the value unless `name` is 1..63 lowercase letters, digits and '-',
// starting with a letter and not ending with '-' (a DNS label, so it can name hosts too).
absl::Status ValidateServiceName(const std::string& name);
// "spiffe://<trust_domain>/service/<name>".
std::string SpiffeId(const std::string& trust_domain, const std::string& name);

class CertificateAuthority {
 public:
  // Loads the key and root from options.dir, or makes them when neither exists. Refuses a
  // directory with only one of them, a root that does not match its key, has expired or was
  // made for another trust domain: replacing a CA silently would cut every workload off.
  static absl::StatusOr<std::unique_ptr<CertificateAuthority>> LoadOrCreate(
      const CaOptions& options);

  // Signs the public key of `csr_pem` for `service_name`; InvalidArgument naming what is wrong
  // with the CSR (not PEM, signature not verifying, a key type or size not accepted) or the
  // name. The CSR's subject and extensions are ignored. Thread-safe.
  absl::StatusOr<IssuedCertificate> Issue(const std::string& csr_pem,
                                          const std::string& service_name) const;

  const std::string& root_pem() const { return root_pem_; }
  const CaOptions& options() const { return options_; }
  static std::filesystem::path KeyPath(const std::filesystem::path& dir) { return dir / "ca.key"; }
  static std::filesystem::path RootPath(const std::filesystem::path& dir) { return dir / "ca.pem"; }

 private:
  CertificateAuthority(CaOptions options, KeyPtr key, CertificatePtr root);

  const CaOptions options_;
  const KeyPtr key_;
  const CertificatePtr root_;
  const std::string root_pem_;
};

}  // namespace switchboard::xds::ca
