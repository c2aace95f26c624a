// The certificate authority inside a real `switchboard xds` process: flags (--data-dir,
// --trust-domain, --cert-lifetime, --join-token-file), a certificate over gRPC that verifies
// against the root with the lifetime asked, the key and root kept across a restart, and bad
// flags refused with the value named.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "common/health_probe.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "xds/ca/ca_test_support.h"
#include "xds/ca/join_token.h"
#include "xds/ca/workload_certificate.h"

namespace switchboard::xds::ca {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using switchboard::testing::ChildProcess;

constexpr seconds kStartTimeout{20};
constexpr seconds kStopTimeout{5};
constexpr milliseconds kPollInterval{10};
constexpr char kReady[] = "mesh certificate authority";

bool WaitForOutput(ChildProcess& process, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process.Output().find(text) != std::string::npos) return true;
    if (!process.Running()) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return false;
}

// `switchboard xds` with `flags` on a free port, its data in `data_dir`.
class XdsProcess {
 public:
  XdsProcess(const std::string& data_dir, const std::vector<std::string>& flags,
             const std::string& log)
      : address_("127.0.0.1:" + std::to_string(switchboard::testing::FreePort())) {
    std::vector<std::string> argv = {switchboard::testing::SwitchboardBinary(),
                                     "xds",
                                     "--listen",
                                     address_,
                                     "--data-dir",
                                     data_dir};
    argv.insert(argv.end(), flags.begin(), flags.end());
    process_ = std::make_unique<ChildProcess>(argv, log);
  }
  bool WaitReady() {
    return WaitForOutput(*process_, kReady) && common::WaitForServing(address_, kStartTimeout);
  }
  const std::string& address() const { return address_; }
  ChildProcess& process() { return *process_; }
  void Stop() { process_->Stop(SIGTERM, kStopTimeout); }

 private:
  std::string address_;
  std::unique_ptr<ChildProcess> process_;
};

absl::StatusOr<WorkloadCertificate> Request(const std::string& address, const std::string& token,
                                            const std::string& service = "ticket") {
  WorkloadCertificateOptions options;
  options.channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  options.service_name = service;
  options.join_token = token;
  return RequestCertificate(options);
}

TEST(XdsCertificateAuthority, IssuesCertificatesAndKeepsItsCaAcrossRestarts) {
  switchboard::testing::TempDir dir;
  const std::string data = dir.path() + "/xds";
  std::string root;
  {
    XdsProcess xds(data, {"--cert-lifetime", "30s", "--trust-domain", "mesh.example"},
                   dir.path() + "/first.log");
    ASSERT_TRUE(xds.WaitReady()) << xds.process().Output();
    struct stat info {};
    ASSERT_EQ(stat((data + "/ca/ca.key").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    ASSERT_EQ(stat((data + "/join-token").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    const std::string token = ReadJoinTokenFile(data + "/join-token").value();

    const auto before = std::chrono::system_clock::now();
    auto certificate = Request(xds.address(), token);
    ASSERT_TRUE(certificate.ok()) << certificate.status() << xds.process().Output();
    EXPECT_EQ(testing::VerifyAgainstRoot(certificate->chain_pem, certificate->root_pem), "");
    auto chain = testing::ReadChain(certificate->chain_pem);
    ASSERT_FALSE(chain.empty());
    EXPECT_EQ(testing::SubjectAltNames(chain[0].get()),
              std::vector<std::string>{"URI:spiffe://mesh.example/service/ticket"});
    const auto lifetime = NotAfter(chain[0].get()) - before;
    EXPECT_GE(lifetime, seconds(29));
    EXPECT_LE(lifetime, seconds(31));

    auto refused = Request(xds.address(), token + "x");
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
    root = certificate->root_pem;
    xds.Stop();
  }
  // Restarted on the same directory: the same root and token.
  XdsProcess again(data, {"--cert-lifetime", "30s", "--trust-domain", "mesh.example"},
                   dir.path() + "/second.log");
  ASSERT_TRUE(again.WaitReady()) << again.process().Output();
  auto certificate = Request(again.address(), ReadJoinTokenFile(data + "/join-token").value());
  ASSERT_TRUE(certificate.ok()) << certificate.status();
  EXPECT_EQ(certificate->root_pem, root);
}

TEST(XdsCertificateAuthority, UsesTheOperatorsJoinToken) {
  switchboard::testing::TempDir dir;
  const std::string token_file = dir.path() + "/token";
  std::ofstream(token_file) << "operator-chosen-token-42\n";
  XdsProcess xds(dir.path() + "/xds", {"--join-token-file", token_file}, dir.path() + "/xds.log");
  ASSERT_TRUE(xds.WaitReady()) << xds.process().Output();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/xds/join-token"));
  EXPECT_TRUE(Request(xds.address(), "operator-chosen-token-42").ok());
  EXPECT_EQ(Request(xds.address(), "operator-chosen-token-43").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(XdsCertificateAuthority, RefusesBadFlagsNamingThem) {
  switchboard::testing::TempDir dir;
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--cert-lifetime", "0s"}, "--cert-lifetime \"0s\": whole seconds from 1s to"},
      {{"--cert-lifetime", "1500ms"}, "--cert-lifetime \"1500ms\": whole seconds"},
      {{"--cert-lifetime", "soon"}, "--cert-lifetime: "},
      {{"--trust-domain", "Bad/Domain"}, "--trust-domain: trust domain \"Bad/Domain\""},
      {{"--join-token-file", dir.path() + "/missing"}, "cannot read " + dir.path() + "/missing"},
  };
  for (const auto& c : cases) {
    XdsProcess xds(dir.path() + "/xds", c.flags, dir.path() + "/bad.log");
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (xds.process().Running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
    }
    const int status = xds.process().Stop(SIGKILL, kStopTimeout);
    EXPECT_TRUE(WIFEXITED(status)) << c.message;
    EXPECT_NE(WEXITSTATUS(status), 0) << c.message;
    EXPECT_NE(xds.process().Output().find(c.message), std::string::npos) << xds.process().Output();
  }
}

}  // namespace
}  // namespace switchboard::xds::ca
