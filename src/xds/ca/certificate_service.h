// switchboard.mesh.v1.CertificateService over a CertificateAuthority: checks the join token
// (UNAUTHENTICATED), bounds and validates the request (INVALID_ARGUMENT naming the field) and
// returns the signed chain, the root and the expiry.
#pragma once

#include <string>

#include "switchboard/mesh/v1/certificate.grpc.pb.h"
#include "xds/ca/certificate_authority.h"

namespace switchboard::xds::ca {

// A P-256 CSR is under 1 KiB and an RSA-8192 one under 4 KiB.
inline constexpr size_t kMaxCsrBytes = 16 * 1024;

class CertificateService final : public mesh::v1::CertificateService::CallbackService {
 public:
  // `authority` outlives the service.
  CertificateService(const CertificateAuthority* authority, std::string join_token)
      : authority_(authority), join_token_(std::move(join_token)) {}

  grpc::ServerUnaryReactor* Sign(grpc::CallbackServerContext* context,
                                 const mesh::v1::SignRequest* request,
                                 mesh::v1::SignResponse* response) override;

  // The same, without the wire: what Sign answers.
  grpc::Status Handle(const mesh::v1::SignRequest& request, mesh::v1::SignResponse* response,
                      const std::string& peer) const;

 private:
  const CertificateAuthority* const authority_;
  const std::string join_token_;
};

}  // namespace switchboard::xds::ca
