#include "xds/ca/ca_service.h"

#include "xds/ca/join_token.h"

namespace switchboard::xds::ca {

absl::StatusOr<std::unique_ptr<CaService>> CaService::Create(const CaServiceOptions& options) {
  CaOptions ca;
  ca.dir = options.data_dir / "ca";
  ca.trust_domain = options.trust_domain;
  ca.lifetime = options.lifetime;
  ca.clock = options.clock;
  auto authority = CertificateAuthority::LoadOrCreate(ca);
  if (!authority.ok()) return authority.status();
  std::filesystem::path token_path =
      options.join_token_file ? *options.join_token_file : JoinTokenPath(options.data_dir);
  auto token = options.join_token_file ? ReadJoinTokenFile(*options.join_token_file)
                                       : LoadOrCreateJoinToken(options.data_dir);
  if (!token.ok()) return token.status();
  return std::unique_ptr<CaService>(
      new CaService(std::move(*authority), std::move(*token), std::move(token_path)));
}

}  // namespace switchboard::xds::ca
