// The fraud-slow switch over REST: the real `switchboard gateway` process in front of a real
// fraud service, PUT /fraud/delay and GET /fraud/delay, and a check that then runs out of time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/fraud/fraud_service.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

constexpr auto kIoTimeout = std::chrono::seconds(10);
constexpr std::chrono::milliseconds kSlowDelay{2000};
constexpr std::chrono::milliseconds kCheckDeadline{300};

// One HTTP/1.1 request on its own connection (Connection: close), read to EOF: status, body.
std::pair<int, std::string> Http1Request(uint16_t port, const std::string& method,
                                         const std::string& target, const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string raw;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = absl::StrCat(
        method, " ", target, " HTTP/1.1\r\nhost: x\r\nconnection: close\r\n",
        "content-type: application/json\r\ncontent-length: ", body.size(), "\r\n\r\n", body);
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
      raw.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const size_t end = raw.find("\r\n\r\n");
  int status = 0;
  if (end == std::string::npos || !absl::SimpleAtoi(raw.substr(9, 3), &status)) return {0, raw};
  return {status, raw.substr(end + 4)};
}

class FraudDelayRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = static_cast<uint16_t>(switchboard::testing::FreePort());
    const std::string config = dir_.path() + "/gateway.yaml";
    std::ofstream out(config);
    out << "listen: 127.0.0.1:" << port_ << "\n"
        << "workers: " << TestGatewayWorkers() << "\n"
        << "descriptors: [" << SB_DESCRIPTOR_SET << "]\n"
        << "services:\n"
        << "  switchboard.fraud.v1.FraudService: {backends: [" << fraud_.address() << "]}\n";
    out.close();
    gateway_ = std::make_unique<GatewayProcess>(config, dir_.path() + "/gateway.log");
    ASSERT_TRUE(gateway_->listening()) << gateway_->Output();
  }

  void TearDown() override {
    if (HasFailure() && gateway_) ADD_FAILURE() << "gateway log:\n" << gateway_->Output();
  }

  switchboard::testing::TempDir dir_;
  switchboard::testing::TestServer fraud_{fraud::MakeFraudService};
  uint16_t port_ = 0;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(FraudDelayRestTest, PutDelayMakesChecksTimeOutAndGetReadsIt) {
  auto [put_status, put_body] = Http1Request(
      port_, "PUT", "/fraud/delay", absl::StrCat("{\"delayMs\": ", kSlowDelay.count(), "}"));
  ASSERT_EQ(put_status, 200) << put_body;
  EXPECT_EQ(put_body, absl::StrCat("{\"delayMs\":\"", kSlowDelay.count(), "\"}"));
  auto [get_status, get_body] = Http1Request(port_, "GET", "/fraud/delay", "");
  ASSERT_EQ(get_status, 200) << get_body;
  EXPECT_EQ(get_body, put_body);

  auto stub = fraud::v1::FraudService::NewStub(fraud_.NewChannel());
  fraud::v1::CheckRequest check;
  check.set_user_id("u1");
  check.set_amount(10);
  check.set_currency("EUR");
  fraud::v1::CheckResult result;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCheckDeadline);
  EXPECT_EQ(stub->Check(&context, check, &result).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(FraudDelayRestTest, PutBadDelayIs400NamingIt) {
  auto [status, body] = Http1Request(port_, "PUT", "/fraud/delay", "{\"delayMs\": -5}");
  EXPECT_EQ(status, 400) << body;
  EXPECT_NE(body.find("delay_ms -5"), std::string::npos) << body;
}

}  // namespace
}  // namespace switchboard::gateway
