// The control plane's certificate authority as a hosted service: the CA from the data
// directory, the join token (made there, or the operator's) and CertificateService over them,
// ready to sit beside ADS and the registry on `switchboard xds`'s server.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/service.h"
#include "xds/ca/certificate_authority.h"
#include "xds/ca/certificate_service.h"

namespace switchboard::xds::ca {

struct CaServiceOptions {
  std::filesystem::path data_dir;  // the CA's files go under data_dir/ca, the token beside
  std::string trust_domain = CaOptions::kDefaultTrustDomain;
  std::chrono::seconds lifetime = CaOptions::kDefaultLifetime;
  std::optional<std::filesystem::path> join_token_file;  // the operator's token, if given
  SystemClock clock = std::chrono::system_clock::now;
};

class CaService final : public common::Service {
 public:
  static absl::StatusOr<std::unique_ptr<CaService>> Create(const CaServiceOptions& options);

  std::vector<grpc::Service*> GrpcServices() override { return {&service_}; }
  const CertificateAuthority& authority() const { return *authority_; }
  // Where the token the workloads need is: data_dir/join-token or the operator's file.
  const std::filesystem::path& join_token_path() const { return join_token_path_; }

 private:
  CaService(std::unique_ptr<CertificateAuthority> authority, std::string join_token,
            std::filesystem::path join_token_path)
      : authority_(std::move(authority)),
        service_(authority_.get(), std::move(join_token)),
        join_token_path_(std::move(join_token_path)) {}

  std::unique_ptr<CertificateAuthority> authority_;
  CertificateService service_;
  std::filesystem::path join_token_path_;
};

}  // namespace switchboard::xds::ca
