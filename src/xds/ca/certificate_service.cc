#include "xds/ca/certificate_service.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "xds/ca/join_token.h"

namespace switchboard::xds::ca {
namespace {

grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument ? grpc::StatusCode::INVALID_ARGUMENT
                                                    : grpc::StatusCode::INTERNAL;
}

}  // namespace

grpc::Status CertificateService::Handle(const mesh::v1::SignRequest& request,
                                        mesh::v1::SignResponse* response,
                                        const std::string& peer) const {
  // The token first: a caller without it learns nothing about what else it got wrong.
  if (!JoinTokenMatches(request.join_token(), join_token_)) {
    spdlog::warn("certificate refused: wrong join token peer={} service_name_bytes={}", peer,
                 request.service_name().size());
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "join_token does not match the control plane's");
  }
  if (request.csr_pem().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "csr_pem: empty");
  }
  if (request.csr_pem().size() > kMaxCsrBytes) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("csr_pem: ", request.csr_pem().size(), " bytes, at most ", kMaxCsrBytes));
  }
  auto issued = authority_->Issue(request.csr_pem(), request.service_name());
  if (!issued.ok()) {
    spdlog::warn("certificate refused peer={} reason={}", peer,
                 std::string(issued.status().message()));
    return grpc::Status(ToGrpcCode(issued.status().code()), std::string(issued.status().message()));
  }
  response->set_certificate_chain_pem(std::move(issued->chain_pem));
  response->set_root_pem(std::move(issued->root_pem));
  response->set_not_after(
      std::chrono::duration_cast<std::chrono::seconds>(issued->not_after.time_since_epoch())
          .count());
  spdlog::info("certificate issued service={} peer={} not_after={}", request.service_name(), peer,
               response->not_after());
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* CertificateService::Sign(grpc::CallbackServerContext* context,
                                                   const mesh::v1::SignRequest* request,
                                                   mesh::v1::SignResponse* response) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(Handle(*request, response, context->peer()));
  return reactor;
}

}  // namespace switchboard::xds::ca
