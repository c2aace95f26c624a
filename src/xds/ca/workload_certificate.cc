#include "xds/ca/workload_certificate.h"

#include <grpcpp/client_context.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "xds/ca/openssl_pem.h"

namespace switchboard::xds::ca {
namespace {

using std::chrono::system_clock;

constexpr int kRenewNumerator = 2;
constexpr int kRenewDenominator = 3;
// However short a certificate (lifetimes are whole seconds on the wire), renewals are never
// closer together than this.
constexpr std::chrono::milliseconds kMinRenewGap{100};
// The renewer sleeps at most this long before it reads the clock again, so a clock that jumps
// (a machine back from suspend, a test's clock) is noticed within it.
constexpr std::chrono::milliseconds kMaxSleep{1000};

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("certificate Sign: ", status.error_message()));
}

}  // namespace

absl::StatusOr<KeyAndCsr> NewKeyAndCsr(const std::string& service_name) {
  auto key = NewP256Key();
  if (!key.ok()) return key.status();
  RequestPtr request(X509_REQ_new());
  X509_REQ_set_version(request.get(), X509_REQ_VERSION_1);
  X509_NAME* name = X509_REQ_get_subject_name(request.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(service_name.c_str()), -1, -1,
                             0);
  X509_REQ_set_pubkey(request.get(), key->get());
  if (X509_REQ_sign(request.get(), key->get(), EVP_sha256()) == 0) {
    return OpenSslError("signing the certificate request");
  }
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, request.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  KeyAndCsr out;
  out.csr_pem.assign(data, static_cast<size_t>(size));
  BIO_free(bio);
  out.key_pem = KeyToPem(key->get());
  return out;
}

system_clock::time_point RenewAt(system_clock::time_point issued_at,
                                 system_clock::time_point not_after) {
  if (not_after <= issued_at) return issued_at;
  return issued_at + (not_after - issued_at) * kRenewNumerator / kRenewDenominator;
}

absl::StatusOr<WorkloadCertificate> RequestCertificate(const WorkloadCertificateOptions& options) {
  auto key_and_csr = NewKeyAndCsr(options.service_name);
  if (!key_and_csr.ok()) return key_and_csr.status();
  auto stub = mesh::v1::CertificateService::NewStub(options.channel);
  grpc::ClientContext context;
  context.set_deadline(system_clock::now() + options.rpc_timeout);
  mesh::v1::SignRequest request;
  request.set_csr_pem(key_and_csr->csr_pem);
  request.set_service_name(options.service_name);
  request.set_join_token(options.join_token);
  mesh::v1::SignResponse response;
  const grpc::Status status = stub->Sign(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  WorkloadCertificate certificate;
  certificate.key_pem = std::move(key_and_csr->key_pem);
  certificate.chain_pem = response.certificate_chain_pem();
  certificate.root_pem = response.root_pem();
  certificate.issued_at = options.clock();
  certificate.not_after = system_clock::time_point(std::chrono::seconds(response.not_after()));
  return certificate;
}

CertificateRenewer::CertificateRenewer(WorkloadCertificateOptions options,
                                       OnCertificate on_certificate, WorkloadCertificate first)
    : options_(std::move(options)),
      on_certificate_(std::move(on_certificate)),
      current_(std::move(first)) {}

absl::StatusOr<std::unique_ptr<CertificateRenewer>> CertificateRenewer::Start(
    WorkloadCertificateOptions options, OnCertificate on_certificate) {
  if (!options.channel || !options.clock) {
    return absl::InvalidArgumentError("certificate renewer: no channel or clock");
  }
  if (auto s = ValidateServiceName(options.service_name); !s.ok()) return s;
  auto first = RequestCertificate(options);
  if (!first.ok()) return first.status();
  if (on_certificate) on_certificate(*first);
  std::unique_ptr<CertificateRenewer> renewer(
      new CertificateRenewer(std::move(options), std::move(on_certificate), std::move(*first)));
  renewer->thread_ = std::thread([r = renewer.get()] { r->Loop(); });
  return renewer;
}

CertificateRenewer::~CertificateRenewer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

WorkloadCertificate CertificateRenewer::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

int CertificateRenewer::renewals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return renewals_;
}

int CertificateRenewer::failed_attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_attempts_;
}

void CertificateRenewer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  const auto schedule = [this] {
    return std::max(RenewAt(current_.issued_at, current_.not_after),
                    current_.issued_at + kMinRenewGap);
  };
  system_clock::time_point next = schedule();
  while (!stopping_) {
    // The wait is measured by the injected clock: it sleeps the difference (at most
    // kMaxSleep), then looks again.
    const auto now = options_.clock();
    if (now < next) {
      wake_.wait_for(lock, std::min<system_clock::duration>(next - now, kMaxSleep));
      continue;
    }
    lock.unlock();
    auto renewed = RequestCertificate(options_);
    if (renewed.ok() && on_certificate_) on_certificate_(*renewed);
    lock.lock();
    if (renewed.ok()) {
      current_ = std::move(*renewed);
      ++renewals_;
      next = schedule();
    } else {
      ++failed_attempts_;
      spdlog::warn("certificate renewal failed service={} error={} retry_in_ms={}",
                   options_.service_name, std::string(renewed.status().message()),
                   options_.retry_interval.count());
      next = options_.clock() + options_.retry_interval;
    }
  }
}

}  // namespace switchboard::xds::ca
