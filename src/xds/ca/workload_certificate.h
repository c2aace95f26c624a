// The workload side of the mesh's CA, for a sidecar: a fresh P-256 key and CSR each time (the
// key never leaves the process), one Sign call with the join token, and a renewer that asks
// again at two thirds of each certificate's lifetime and hands every new certificate over.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "switchboard/mesh/v1/certificate.grpc.pb.h"
#include "xds/ca/certificate_authority.h"

namespace switchboard::xds::ca {

struct KeyAndCsr {
  std::string key_pem;
  std::string csr_pem;  // CN = service_name; the CA sets the real names itself
};
absl::StatusOr<KeyAndCsr> NewKeyAndCsr(const std::string& service_name);

struct WorkloadCertificate {
  std::string key_pem;
  std::string chain_pem;
  std::string root_pem;
  std::chrono::system_clock::time_point issued_at;  // by the workload's clock, on receipt
  std::chrono::system_clock::time_point not_after;
};

// issued_at + 2/3 of (not_after - issued_at): a third of the lifetime is left to retry in.
std::chrono::system_clock::time_point RenewAt(std::chrono::system_clock::time_point issued_at,
                                              std::chrono::system_clock::time_point not_after);

struct WorkloadCertificateOptions {
  static constexpr std::chrono::milliseconds kDefaultRpcTimeout{5000};
  static constexpr std::chrono::milliseconds kDefaultRetryInterval{1000};
  std::shared_ptr<grpc::Channel> channel;  // to the control plane
  std::string service_name;
  std::string join_token;
  std::chrono::milliseconds rpc_timeout = kDefaultRpcTimeout;
  std::chrono::milliseconds retry_interval = kDefaultRetryInterval;  // after a failed renewal
  SystemClock clock = std::chrono::system_clock::now;
};

// One key, CSR and Sign call. The gRPC status is kept: UNAUTHENTICATED and INVALID_ARGUMENT
// are the caller's to fix, UNAVAILABLE worth retrying.
absl::StatusOr<WorkloadCertificate> RequestCertificate(const WorkloadCertificateOptions& options);

class CertificateRenewer {
 public:
  using OnCertificate = std::function<void(const WorkloadCertificate&)>;
  // Gets the first certificate before returning (its error if that fails), hands it to
  // `on_certificate`, then renews on a thread of its own until destroyed. `on_certificate`
  // runs on that thread for every renewal.
  static absl::StatusOr<std::unique_ptr<CertificateRenewer>> Start(
      WorkloadCertificateOptions options, OnCertificate on_certificate);
  ~CertificateRenewer();

  WorkloadCertificate current() const;
  int renewals() const;         // certificates after the first
  int failed_attempts() const;  // renewals that failed and were retried

 private:
  CertificateRenewer(WorkloadCertificateOptions options, OnCertificate on_certificate,
                     WorkloadCertificate first);
  void Loop();

  const WorkloadCertificateOptions options_;
  const OnCertificate on_certificate_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  WorkloadCertificate current_;
  int renewals_ = 0;
  int failed_attempts_ = 0;
  std::thread thread_;
};

}  // namespace switchboard::xds::ca
