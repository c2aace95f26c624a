// CertificateService on a real grpc++ server on loopback, called over the wire: the join token
// (made in the data directory, or the operator's), UNAUTHENTICATED for a wrong one,
// INVALID_ARGUMENT naming the field for a bad CSR or service name.
#include "xds/ca/certificate_service.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/service_host.h"
#include "testing/temp_dir.h"
#include "xds/ca/ca_service.h"
#include "xds/ca/ca_test_support.h"
#include "xds/ca/join_token.h"
#include "xds/ca/workload_certificate.h"

namespace switchboard::xds::ca {
namespace {

using std::chrono::seconds;

constexpr seconds kRpcDeadline{5};

// A CaService over a data directory, served on a free loopback port.
class CaServer {
 public:
  explicit CaServer(CaServiceOptions options) {
    auto service = CaService::Create(options);
    EXPECT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
    host_ = std::move(*common::ServiceHost::Start("127.0.0.1:0", {service_.get()}));
    channel_ = grpc::CreateChannel(host_->address(), grpc::InsecureChannelCredentials());
  }
  ~CaServer() { host_->Shutdown(); }

  grpc::Status Sign(const std::string& csr, const std::string& service_name,
                    const std::string& token, mesh::v1::SignResponse* response) {
    auto stub = mesh::v1::CertificateService::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
    mesh::v1::SignRequest request;
    request.set_csr_pem(csr);
    request.set_service_name(service_name);
    request.set_join_token(token);
    return stub->Sign(&context, request, response);
  }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  CaService& service() { return *service_; }

 private:
  std::unique_ptr<CaService> service_;
  std::unique_ptr<common::ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(CertificateService, SignsForTheTokenInTheDataDirectory) {
  switchboard::testing::TempDir dir;
  CaServiceOptions options;
  options.data_dir = dir.path();
  options.lifetime = seconds(45);
  CaServer server(options);
  const std::string token_path = dir.path() + "/join-token";
  EXPECT_EQ(server.service().join_token_path(), token_path);
  struct stat info {};
  ASSERT_EQ(stat(token_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string token = ReadJoinTokenFile(token_path).value();
  EXPECT_EQ(token.size(), 2 * kJoinTokenRandomBytes);

  WorkloadCertificateOptions client;
  client.channel = server.channel();
  client.service_name = "payment";
  client.join_token = token;
  const auto before = std::chrono::system_clock::now();
  auto certificate = RequestCertificate(client);
  ASSERT_TRUE(certificate.ok()) << certificate.status();
  EXPECT_EQ(testing::VerifyAgainstRoot(certificate->chain_pem, certificate->root_pem), "");
  EXPECT_EQ(certificate->root_pem, ReadAll(dir.path() + "/ca/ca.pem"));
  auto chain = testing::ReadChain(certificate->chain_pem);
  ASSERT_FALSE(chain.empty());
  EXPECT_EQ(testing::SubjectAltNames(chain[0].get()),
            std::vector<std::string>{"URI:spiffe://switchboard.local/service/payment"});
  // The lifetime asked, to the second; not_after on the wire is the certificate's.
  const auto lifetime = NotAfter(chain[0].get()) - before;
  EXPECT_GE(lifetime, seconds(44));
  EXPECT_LE(lifetime, seconds(46));
  EXPECT_EQ(certificate->not_after, NotAfter(chain[0].get()));
  EXPECT_EQ(X509_check_private_key(chain[0].get(), KeyFromPem(certificate->key_pem).get()), 1);

  // A restarted control plane on the same directory keeps its token and root.
  CaServer restarted(options);
  EXPECT_EQ(ReadJoinTokenFile(token_path).value(), token);
  auto again = RequestCertificate(WorkloadCertificateOptions{restarted.channel(), "payment", token,
                                                             client.rpc_timeout,
                                                             client.retry_interval, client.clock});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->root_pem, certificate->root_pem);
}

TEST(CertificateService, RefusesAWrongTokenAndBadRequests) {
  switchboard::testing::TempDir dir;
  CaServiceOptions options;
  options.data_dir = dir.path();
  CaServer server(options);
  const std::string token = ReadJoinTokenFile(dir.path() + "/join-token").value();
  const std::string csr = NewKeyAndCsr("ticket")->csr_pem;
  mesh::v1::SignResponse response;

  for (const std::string& wrong : {std::string(), token.substr(1), token + "0",
                                   std::string(token.size(), '0'), std::string(100000, 'x')}) {
    const grpc::Status status = server.Sign(csr, "ticket", wrong, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << wrong.size();
    EXPECT_EQ(status.error_message(), "join_token does not match the control plane's");
  }
  // The token is checked before anything else: garbage with a wrong token is UNAUTHENTICATED.
  EXPECT_EQ(server.Sign("garbage", "Bad Name", "wrong", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  struct Bad {
    std::string csr;
    std::string service_name;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {"", "ticket", "csr_pem: empty"},
      {"garbage", "ticket",
       "csr_pem: not a PEM certificate request (no \"-----BEGIN CERTIFICATE REQUEST-----\")"},
      {std::string(kMaxCsrBytes + 1, 'A'), "ticket", "csr_pem: 16385 bytes, at most 16384"},
      {csr, "", ""},
      {csr, "../admin", ""},
      {csr, "Ticket", ""},
  };
  for (const auto& c : cases) {
    const grpc::Status status = server.Sign(c.csr, c.service_name, token, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.service_name;
    if (!c.message.empty()) {
      EXPECT_EQ(status.error_message(), c.message);
    } else {
      EXPECT_EQ(status.error_message().rfind("service_name \"" + c.service_name + "\"", 0), 0u)
          << status.error_message();
    }
  }
  ASSERT_TRUE(server.Sign(csr, "ticket", token, &response).ok());
}

TEST(CertificateService, UsesTheOperatorsTokenFile) {
  switchboard::testing::TempDir dir;
  const std::string token_file = dir.path() + "/operator-token";
  std::ofstream(token_file) << "  my-operator-token-0123456789\n";
  CaServiceOptions options;
  options.data_dir = dir.path() + "/data";
  options.join_token_file = token_file;
  CaServer server(options);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data/join-token"));
  mesh::v1::SignResponse response;
  const std::string csr = NewKeyAndCsr("ticket")->csr_pem;
  EXPECT_TRUE(server.Sign(csr, "ticket", "my-operator-token-0123456789", &response).ok());
  EXPECT_EQ(server.Sign(csr, "ticket", "my-operator-token-012345678", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Tokens an operator could get wrong are refused at start, naming the file.
  for (const std::string& bad : {std::string("short"), std::string("with space inside it"),
                                 std::string(kMaxJoinTokenLength + 1, 'x')}) {
    std::ofstream(token_file, std::ios::trunc) << bad;
    auto refused = CaService::Create(options);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.status().message().rfind(token_file, 0), 0u) << refused.status();
  }
  std::filesystem::remove(token_file);
  EXPECT_FALSE(CaService::Create(options).ok());
}

}  // namespace
}  // namespace switchboard::xds::ca
