// The workload side: when to renew (two thirds of the lifetime, by the injected clock), and a
// renewer against a real CertificateService on loopback that rotates key and certificate
// before expiry, keeps trying while the control plane is away, and reports a wrong token at once.
#include "xds/ca/workload_certificate.h"

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "common/service_host.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "xds/ca/ca_service.h"
#include "xds/ca/ca_test_support.h"
#include "xds/ca/join_token.h"

namespace switchboard::xds::ca {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

constexpr milliseconds kPollInterval{20};

bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::steady_clock::duration timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

TEST(RenewAt, TwoThirdsOfTheLifetime) {
  const system_clock::time_point t0{seconds(1000000)};
  struct Case {
    seconds lifetime;
    milliseconds expected;
  };
  for (const auto& c : std::vector<Case>{{seconds(3), milliseconds(2000)},
                                         {seconds(30), milliseconds(20000)},
                                         {seconds(24 * 3600), milliseconds(16 * 3600 * 1000)},
                                         {seconds(0), milliseconds(0)},
                                         {seconds(-5), milliseconds(0)}}) {
    EXPECT_EQ(RenewAt(t0, t0 + c.lifetime), t0 + c.expected) << c.lifetime.count();
  }
}

// A control plane's CA (certificates of `lifetime`) on a free loopback port.
struct Plane {
  Plane(seconds lifetime, const std::string& dir, int port = 0) {
    CaServiceOptions options;
    options.data_dir = dir;
    options.lifetime = lifetime;
    service = std::move(*CaService::Create(options));
    host = std::move(
        *common::ServiceHost::Start("127.0.0.1:" + std::to_string(port), {service.get()}));
  }
  std::unique_ptr<CaService> service;
  std::unique_ptr<common::ServiceHost> host;
};

WorkloadCertificateOptions Client(const std::string& address, const std::string& dir) {
  WorkloadCertificateOptions options;
  options.channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  options.service_name = "booking";
  options.join_token = ReadJoinTokenFile(dir + "/join-token").value();
  options.retry_interval = milliseconds(200);
  return options;
}

TEST(CertificateRenewer, RenewsAtTwoThirdsOfAShortLifetime) {
  switchboard::testing::TempDir dir;
  Plane plane(seconds(6), dir.path());
  std::atomic<int> handed_over{0};
  const auto started = std::chrono::steady_clock::now();
  std::atomic<int64_t> first_renewal_ms{-1};
  auto renewer = CertificateRenewer::Start(
      Client(plane.host->address(), dir.path()), [&](const WorkloadCertificate&) {
        if (++handed_over == 2) {
          first_renewal_ms =
              std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started)
                  .count();
        }
      });
  ASSERT_TRUE(renewer.ok()) << renewer.status();
  const WorkloadCertificate first = (*renewer)->current();
  EXPECT_EQ(handed_over, 1);
  ASSERT_TRUE(WaitUntil([&] { return (*renewer)->renewals() >= 2; }, seconds(20)))
      << "renewals: " << (*renewer)->renewals();
  // Not-after is in whole seconds (5..6 s after issue), so two thirds of it is 3.3..4 s after
  // the first; renewing at expiry instead would be 5..6 s.
  EXPECT_GE(first_renewal_ms, 3200);
  EXPECT_LE(first_renewal_ms, 4800);
  const WorkloadCertificate renewed = (*renewer)->current();
  EXPECT_NE(renewed.key_pem, first.key_pem);  // a new key each time
  EXPECT_NE(renewed.chain_pem, first.chain_pem);
  EXPECT_GT(renewed.not_after, first.not_after);
  EXPECT_EQ(testing::VerifyAgainstRoot(renewed.chain_pem, renewed.root_pem), "");
  EXPECT_EQ((*renewer)->failed_attempts(), 0);
}

TEST(CertificateRenewer, FollowsTheInjectedClock) {
  switchboard::testing::TempDir dir;
  Plane plane(seconds(3600), dir.path());
  std::atomic<int64_t> offset_s{0};
  WorkloadCertificateOptions options = Client(plane.host->address(), dir.path());
  options.clock = [&] { return system_clock::now() + seconds(offset_s.load()); };
  auto renewer = CertificateRenewer::Start(options, nullptr);
  ASSERT_TRUE(renewer.ok()) << renewer.status();
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ((*renewer)->renewals(), 0);
  offset_s = 41 * 60;  // past two thirds of the hour
  EXPECT_TRUE(WaitUntil([&] { return (*renewer)->renewals() == 1; }, seconds(10)));
}

TEST(CertificateRenewer, KeepsTryingWhileTheControlPlaneIsAway) {
  switchboard::testing::TempDir dir;
  const int port = switchboard::testing::FreePort();
  auto plane = std::make_unique<Plane>(seconds(3), dir.path(), port);
  auto renewer = CertificateRenewer::Start(Client(plane->host->address(), dir.path()), nullptr);
  ASSERT_TRUE(renewer.ok()) << renewer.status();
  plane->host->Shutdown();
  plane.reset();
  ASSERT_TRUE(WaitUntil([&] { return (*renewer)->failed_attempts() >= 2; }, seconds(15)));
  EXPECT_EQ((*renewer)->renewals(), 0);
  plane = std::make_unique<Plane>(seconds(3), dir.path(), port);  // same directory: same token
  EXPECT_TRUE(WaitUntil([&] { return (*renewer)->renewals() >= 1; }, seconds(15)));
}

TEST(CertificateRenewer, AWrongTokenFailsTheStart) {
  switchboard::testing::TempDir dir;
  Plane plane(seconds(30), dir.path());
  WorkloadCertificateOptions options = Client(plane.host->address(), dir.path());
  options.join_token = "not-the-token-at-all";
  auto renewer = CertificateRenewer::Start(options, nullptr);
  ASSERT_FALSE(renewer.ok());
  EXPECT_EQ(renewer.status().code(), absl::StatusCode::kUnauthenticated);
  options.service_name = "Not A Name";
  EXPECT_EQ(CertificateRenewer::Start(options, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace switchboard::xds::ca
