// A provider's keys from a jwks_uri, fetched from a real HTTPS server on loopback (Beast over
// OpenSSL, its certificate from the local CA of `switchboard up --tls`): verified tokens once
// the keys arrive, key rotation picked up at once for an unknown kid and by the periodic
// refresh, the last good keys kept while the server is down, and oversized, malformed,
// redirected, untrusted and silent answers refused with one clear log line each.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/local_tls.h"
#include "gateway/auth/authenticator.h"
#include "gateway/auth/jwks_refresher.h"
#include "gateway/auth/jwt_test_keys.h"
#include "jwks_test_server.h"
#include "testing/temp_dir.h"

namespace switchboard::gateway::auth {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using gateway::testing::Answer;
using gateway::testing::JwksServer;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kIssuer[] = "https://issuer.example.com";
constexpr char kAudience[] = "switchboard";
constexpr auto kWaitLimit = std::chrono::seconds(10);
constexpr milliseconds kPoll{10};
// Short enough for a test, far above a loopback fetch.
constexpr milliseconds kFetchTimeout{2000};
constexpr milliseconds kShortRefresh{200};
constexpr milliseconds kMinRefetch{100};
constexpr auto kLongRefresh = std::chrono::hours(1);

// Polls `done` until it holds or kWaitLimit passes.
bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = Clock::now() + kWaitLimit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPoll);
  }
  return true;
}

class JwksUriTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto files = cli::EnsureLocalTls(dir_.path() + "/tls", "127.0.0.1");
    ASSERT_TRUE(files.ok()) << files.status();
    files_ = *files;
    log_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(kLogLines);
    previous_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("jwks_uri_test", log_));
  }
  void TearDown() override { spdlog::set_default_logger(previous_logger_); }

  std::shared_ptr<JwksRefresher> Refresher(const std::string& url,
                                           milliseconds refresh = kLongRefresh,
                                           std::string ca_file = "") {
    JwksFetchOptions options;
    auto parsed = ParseHttpsUrl(url);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    options.url = *parsed;
    options.ca_file = ca_file.empty() ? files_.ca_cert : ca_file;
    options.refresh = refresh;
    options.min_refetch = kMinRefetch;
    options.timeout = kFetchTimeout;
    auto refresher = JwksRefresher::Create("main", options);
    EXPECT_TRUE(refresher.ok()) << refresher.status();
    return *refresher;
  }
  std::unique_ptr<Authenticator> Auth(std::shared_ptr<JwksRefresher> refresher) {
    JwtProvider provider;
    provider.name = "main";
    provider.rules.issuer = kIssuer;
    provider.rules.audiences = {kAudience};
    provider.refresher = std::move(refresher);
    auto auth = std::make_unique<Authenticator>(std::vector<JwtProvider>{provider}, kCacheEntries,
                                                std::set<std::string>{});
    auth->StartKeyRefresh();
    return auth;
  }
  static Headers Bearer(const testing::TestKey& key) {
    const std::string token = key.Sign(testing::Claims(
        kIssuer, kAudience, "alice", Authenticator::SystemUnixSeconds() + kTokenLifetimeSeconds));
    return {{"authorization", "Bearer " + token}};
  }
  // Whether a logged line holds every one of `parts`.
  bool Logged(const std::vector<std::string>& parts) const {
    for (const auto& line : log_->last_formatted()) {
      bool all = true;
      for (const auto& part : parts) all = all && line.find(part) != std::string::npos;
      if (all) return true;
    }
    return false;
  }
  std::string Log() const {
    std::string all;
    for (const auto& line : log_->last_formatted()) all += line;
    return all;
  }

  static constexpr size_t kLogLines = 200;
  static constexpr size_t kCacheEntries = 100;
  static constexpr int64_t kTokenLifetimeSeconds = 600;
  switchboard::testing::TempDir dir_;
  cli::LocalTlsFiles files_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_;
  std::shared_ptr<spdlog::logger> previous_logger_;
  testing::TestKey k1_{Algorithm::kEs256, "k1"};
  testing::TestKey k2_{Algorithm::kRs256, "k2"};
};

TEST_F(JwksUriTest, TokensVerifyOnceTheKeysAreFetched) {
  JwksServer server(files_, {http::status::ok, testing::Jwks({&k1_})});
  auto refresher = Refresher(server.Url());
  auto auth = Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return refresher->Keys() != nullptr; })) << Log();
  const AuthOutcome outcome = auth->Authenticate(Bearer(k1_), "");
  EXPECT_EQ(outcome.kind, AuthOutcome::Kind::kVerified) << outcome.message;
  EXPECT_TRUE(Logged({"provider main", "1 keys from " + server.Url(), "kids k1"})) << Log();
}

TEST_F(JwksUriTest, AnUnknownKidFetchesTheRotatedKeysAtOnce) {
  JwksServer server(files_, {http::status::ok, testing::Jwks({&k1_})});
  auto refresher = Refresher(server.Url());  // no periodic refresh within the test
  auto auth = Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return refresher->Keys() != nullptr; })) << Log();
  server.Set({http::status::ok, testing::Jwks({&k1_, &k2_})});
  std::this_thread::sleep_for(kMinRefetch);
  // The first call with the new kid is refused (no event loop waits for a fetch); it asks
  // for the fetch that lets a later call through.
  const AuthOutcome first = auth->Authenticate(Bearer(k2_), "");
  EXPECT_EQ(first.reason, Rejection::kUnknownKid);
  ASSERT_TRUE(WaitFor([&] {
    return auth->Authenticate(Bearer(k2_), "").kind == AuthOutcome::Kind::kVerified;
  })) << Log();
  EXPECT_EQ(auth->Authenticate(Bearer(k1_), "").kind, AuthOutcome::Kind::kVerified);
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(JwksUriTest, UnknownKidsFetchAtMostOncePerMinRefetch) {
  JwksServer server(files_, {http::status::ok, testing::Jwks({&k1_})});
  auto refresher = Refresher(server.Url());
  auto auth = Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return refresher->successes() == 1; })) << Log();
  // A burst of tokens naming a kid nobody has: one fetch, not one per token.
  std::this_thread::sleep_for(kMinRefetch);
  for (int i = 0; i < 50; ++i) auth->Authenticate(Bearer(k2_), "");
  ASSERT_TRUE(WaitFor([&] { return refresher->attempts() == 2; }));
  std::this_thread::sleep_for(kMinRefetch / 2);
  EXPECT_EQ(refresher->attempts(), 2u);
}

TEST_F(JwksUriTest, ThePeriodicRefreshPicksUpNewKeys) {
  JwksServer server(files_, {http::status::ok, testing::Jwks({&k1_})});
  auto refresher = Refresher(server.Url(), kShortRefresh);
  auto auth = Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return refresher->Keys() != nullptr; }));
  server.Set({http::status::ok, testing::Jwks({&k2_})});
  ASSERT_TRUE(WaitFor([&] { return refresher->Keys()->Find("k2") != nullptr; })) << Log();
  EXPECT_EQ(refresher->Keys()->Find("k1"), nullptr);
  EXPECT_EQ(auth->Authenticate(Bearer(k2_), "").kind, AuthOutcome::Kind::kVerified);
}

TEST_F(JwksUriTest, ServerDownAtRefreshKeepsTheLastGoodKeys) {
  JwksServer server(files_, {http::status::ok, testing::Jwks({&k1_})});
  auto refresher = Refresher(server.Url(), kShortRefresh);
  auto auth = Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return refresher->successes() == 1; }));
  server.Stop();
  const uint64_t before = refresher->attempts();
  ASSERT_TRUE(WaitFor([&] { return refresher->attempts() >= before + 2; }));
  EXPECT_EQ(refresher->successes(), 1u);
  ASSERT_NE(refresher->Keys(), nullptr);
  EXPECT_EQ(auth->Authenticate(Bearer(k1_), "").kind, AuthOutcome::Kind::kVerified);
  EXPECT_TRUE(Logged({"provider main", "fetching " + server.Url() + " failed: connecting",
                      "keeping the last good keys (k1)"}))
      << Log();
}

TEST_F(JwksUriTest, AnUnreachableServerAtStartRefusesTokensWithAReason) {
  std::string url;
  {
    JwksServer gone(files_, {});
    url = gone.Url();
  }
  auto refresher = Refresher(url);
  auto auth = Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return refresher->attempts() >= 1 && Logged({"refused until"}); }));
  const AuthOutcome outcome = auth->Authenticate(Bearer(k1_), "");
  EXPECT_EQ(outcome.kind, AuthOutcome::Kind::kRejected);
  EXPECT_EQ(outcome.reason, Rejection::kKeysUnavailable);
  EXPECT_EQ(outcome.message, "the signing keys of the token's issuer are not available yet");
  EXPECT_TRUE(Logged({"provider main: fetching " + url + " failed: connecting",
                      "its tokens are refused until a fetch succeeds"}))
      << Log();
}

TEST_F(JwksUriTest, AnOversizedBodyIsRefused) {
  JwksServer server(files_, {http::status::ok, std::string(kMaxJwksBytes + 1, ' ')});
  auto refresher = Refresher(server.Url());
  auto auth = Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return Logged({"failed"}); }));
  EXPECT_EQ(refresher->Keys(), nullptr);
  EXPECT_TRUE(Logged({absl::StrCat("the body is larger than ", kMaxJwksBytes, " bytes")})) << Log();
}

TEST_F(JwksUriTest, BadJsonIsRefusedAndTheOldKeysKept) {
  JwksServer server(files_, {http::status::ok, testing::Jwks({&k1_})});
  auto refresher = Refresher(server.Url(), kShortRefresh);
  auto auth = Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return refresher->successes() == 1; }));
  server.Set({http::status::ok, "{\"keys\": [{\"kty\": "});
  ASSERT_TRUE(WaitFor([&] { return Logged({"failed: bad JWKS"}); })) << Log();
  EXPECT_TRUE(Logged({"provider main", "failed: bad JWKS", "keeping the last good keys (k1)"}))
      << Log();
  EXPECT_EQ(auth->Authenticate(Bearer(k1_), "").kind, AuthOutcome::Kind::kVerified);
}

TEST_F(JwksUriTest, RedirectsAreNotFollowed) {
  JwksServer server(files_, {http::status::found, "", "https://elsewhere.example/jwks"});
  auto refresher = Refresher(server.Url());
  Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return Logged({"failed"}); }));
  EXPECT_TRUE(
      Logged({"answered 302 (Location: https://elsewhere.example/jwks): redirects are "
              "not followed"}))
      << Log();
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(refresher->Keys(), nullptr);
}

TEST_F(JwksUriTest, AServerOutsideTheTrustedRootsIsRefused) {
  JwksServer server(files_, {http::status::ok, testing::Jwks({&k1_})});
  // Another CA than the one that signed the server's certificate.
  auto other = cli::EnsureLocalTls(dir_.path() + "/other", "127.0.0.1");
  ASSERT_TRUE(other.ok());
  auto refresher = Refresher(server.Url(), kLongRefresh, other->ca_cert);
  Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return Logged({"failed"}); }));
  // OpenSSL names the step that failed: both CAs carry the same subject, so the signature.
  EXPECT_TRUE(Logged({"failed: the TLS handshake", "(certificate signature failure)"})) << Log();
  EXPECT_EQ(refresher->Keys(), nullptr);
  EXPECT_EQ(server.requests(), 0);
}

TEST_F(JwksUriTest, ASilentServerEndsAtTheFetchTimeout) {
  // Connections complete in the kernel's backlog; nothing ever answers the ClientHello.
  asio::io_context io;
  tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string url =
      absl::StrCat("https://127.0.0.1:", silent.local_endpoint().port(), "/jwks");
  auto refresher = Refresher(url);
  const auto started = Clock::now();
  Auth(refresher);
  ASSERT_TRUE(WaitFor([&] { return Logged({"failed"}); }));
  EXPECT_TRUE(
      Logged({absl::StrCat("no answer within ", kFetchTimeout.count(), " ms (the TLS handshake)")}))
      << Log();
  EXPECT_LT(Clock::now() - started, kFetchTimeout * 2);
}

TEST_F(JwksUriTest, StoppingEndsAFetchInProgress) {
  asio::io_context io;
  tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto refresher =
      Refresher(absl::StrCat("https://127.0.0.1:", silent.local_endpoint().port(), "/jwks"));
  refresher->Start();
  ASSERT_TRUE(WaitFor([&] { return refresher->attempts() == 1; }));
  const auto started = Clock::now();
  refresher.reset();  // the destructor cancels the fetch and joins the thread
  EXPECT_LT(Clock::now() - started, kFetchTimeout / 2);
}

}  // namespace
}  // namespace switchboard::gateway::auth
