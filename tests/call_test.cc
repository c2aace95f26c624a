// `switchboard call` against a real `switchboard serve`, as a person uses it from a shell.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "common/health_probe.h"
#include "switchboard/booking/v1/booking.pb.h"
#include "switchboard/chat/v1/chat.pb.h"
#include "switchboard/fraud/v1/fraud.pb.h"
#include "switchboard/notification/v1/notification.pb.h"
#include "switchboard/payment/v1/payment.pb.h"
#include "switchboard/stock/v1/stock.pb.h"
#include "switchboard/ticket/v1/ticket.pb.h"
#include "switchboard/upload/v1/upload.pb.h"
#include "switchboard/user/v1/user.pb.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::SwitchboardBinary;

// How long one `switchboard call` may take before the test gives up on it (and kills it).
constexpr std::chrono::seconds kCallWait{20};
// The --timeout the calls below give: ample on a busy machine, yet a visible budget.
constexpr std::chrono::milliseconds kCallTimeout{5000};
// Nothing listens on port 1 (privileged, below every ephemeral range): a refused connection.
constexpr int kClosedPort = 1;

// The value of --timeout for `timeout`.
std::string TimeoutFlag(std::chrono::milliseconds timeout) {
  return std::to_string(timeout.count()) + "ms";
}

class CallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = testing::FreePort();
    address_ = "127.0.0.1:" + std::to_string(port_);
    server_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{SwitchboardBinary(), "serve", "ticket", "--port",
                                 std::to_string(port_), "--data-dir", dir_.path() + "/var"},
        dir_.path() + "/serve.log");
    ASSERT_TRUE(common::WaitForServing(address_, std::chrono::seconds(20))) << server_->Output();
  }

  // Runs `switchboard call ARGS...` and returns {exit code, combined output}.
  std::pair<int, std::string> Call(std::vector<std::string> args) {
    args.insert(args.begin(), {SwitchboardBinary(), "call"});
    args.push_back("--address");
    args.push_back(address_);
    ChildProcess call(args, dir_.path() + "/call.log");
    const int status = call.Stop(0, kCallWait);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, call.Output()};
  }

  testing::TempDir dir_;
  int port_ = 0;
  std::string address_;
  std::unique_ptr<ChildProcess> server_;
};

TEST_F(CallTest, UnaryCallPrintsJson) {
  auto [code, output] = Call({"ticket", "get-event", R"({"id":"evt-1"})"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find(R"("name": "The Protocol Buffers")"), std::string::npos) << output;
  EXPECT_NE(output.find(R"("seatsAvailable": 900)"), std::string::npos) << output;
}

TEST_F(CallTest, MethodPrefixAndCompactOutput) {
  auto [code, output] = Call({"ticket", "list", R"({"pageSize":1})", "--compact"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find(R"({"events":[{"id":"evt-1")"), std::string::npos) << output;
}

TEST_F(CallTest, ErrorsAreReportedWithTheirCode) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  } cases[] = {
      {{"ticket", "get-event", R"({"id":"evt-404"})"}, 1, "error: NOT_FOUND: event \"evt-404\""},
      {{"ticket", "get-event", R"({"id":""})"}, 1, "error: INVALID_ARGUMENT: id"},
      {{"ticket", "get-event", R"({"idx":"1"})"}, 2, "not a valid switchboard.ticket.v1.GetEventRequest"},
      {{"ticket", "get-event", "{not json"}, 2, "not a valid"},
      {{"ticket", "nosuch"}, 2, "unknown method \"nosuch\""},
      {{"nosuch", "x"}, 2, "unknown service \"nosuch\""},
      {{"ticket", "get-event", "--timeout", "soon"}, 2, "--timeout"},
      {{"ticket", "get-event", "-H", "novalue"}, 2, "expected \"key: value\""},
  };
  for (const auto& c : cases) {
    auto [code, output] = Call(c.args);
    EXPECT_EQ(code, c.code) << output;
    EXPECT_NE(output.find(c.message), std::string::npos) << output;
  }
}

TEST_F(CallTest, UnreachableServerIsUnavailableWithinTheTimeout) {
  // The connection is refused at once: a call that fails fast reports UNAVAILABLE long before
  // its deadline, one that waits for the server to become ready (wait_for_ready) would sit out
  // the whole timeout and end DEADLINE_EXCEEDED.
  constexpr std::chrono::seconds kTimeout{2};
  const auto start = std::chrono::steady_clock::now();
  ChildProcess call(
      {SwitchboardBinary(), "call", "ticket", "get-event", R"({"id":"evt-1"})", "--address",
       "127.0.0.1:" + std::to_string(kClosedPort), "--timeout", TimeoutFlag(kTimeout)},
      dir_.path() + "/call.log");
  const int status = call.Stop(0, std::chrono::seconds(10));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const std::string output = call.Output();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << output;
  EXPECT_LT(elapsed, kTimeout)
      << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
      << " ms\n"
      << output;
  EXPECT_NE(output.find("error: UNAVAILABLE: "), std::string::npos) << output;
  EXPECT_EQ(output.find("DEADLINE_EXCEEDED"), std::string::npos) << output;
}

TEST_F(CallTest, TracePrintsTheServerIdAndTheDeadlineBudget) {
  auto [code, output] = Call({"ticket", "get-event", R"({"id":"evt-1"})", "--timeout",
                              TimeoutFlag(kCallTimeout), "--trace"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find(R"("id": "evt-1")"), std::string::npos) << output;
  EXPECT_NE(output.find("x-server-id: ticket-1@" + address_ + "\n"), std::string::npos) << output;
  // The budget ticket saw on entry: what is left of the timeout once the call got there.
  std::smatch budget;
  ASSERT_TRUE(
      std::regex_search(output, budget, std::regex(R"(x-deadline-budget: ticket=([0-9.]+)ms\n)")))
      << output;
  const double budget_ms = std::stod(budget[1].str());
  EXPECT_GT(budget_ms, 0) << output;
  EXPECT_LE(budget_ms, kCallTimeout.count()) << output;

  // Without --trace neither is printed.
  auto [plain_code, plain] =
      Call({"ticket", "get-event", R"({"id":"evt-1"})", "--timeout", TimeoutFlag(kCallTimeout)});
  EXPECT_EQ(plain_code, 0) << plain;
  EXPECT_EQ(plain.find("x-server-id"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("x-deadline-budget"), std::string::npos) << plain;
}

TEST_F(CallTest, HeadersReachTheServer) {
  // x-deadline-unix-us is the exact deadline a hop passes downstream; the server takes it when
  // it is earlier than grpc-timeout. One in 1970 makes ticket refuse the call on arrival, which
  // it can only do if the header got there: the same call without it succeeds.
  const std::string kExpired = "1";
  const std::vector<std::string> header_flags[] = {
      // The key is lowercased and the blanks around the value stripped, as a shell user types it.
      {"-H", "X-Deadline-Unix-Us:   " + kExpired + " "},
      // -H repeats: every one is sent, not just the first.
      {"-H", "x-note: first", "--header", "x-deadline-unix-us: " + kExpired},
  };
  for (const auto& flags : header_flags) {
    std::vector<std::string> args = {"ticket", "get-event", R"({"id":"evt-1"})", "--timeout",
                                     TimeoutFlag(kCallTimeout)};
    args.insert(args.end(), flags.begin(), flags.end());
    auto [code, output] = Call(args);
    EXPECT_EQ(code, 1) << output;
    EXPECT_NE(output.find("error: DEADLINE_EXCEEDED: ticket: deadline already passed on arrival"),
              std::string::npos)
        << output;
  }
  auto [code, output] = Call({"ticket", "get-event", R"({"id":"evt-1"})", "--timeout",
                              TimeoutFlag(kCallTimeout), "-H", "x-note: first"});
  EXPECT_EQ(code, 0) << output;
}

TEST_F(CallTest, ConfigFileGivesTheAddressUnlessAddressIsSet) {
  // A system config naming this test's ticket port: `call` finds the service there.
  const std::string config = dir_.path() + "/system.yaml";
  std::ofstream(config) << "host: 127.0.0.1\nservices:\n  ticket: {port: " << port_ << "}\n";
  ChildProcess call({SwitchboardBinary(), "call", "ticket", "get-event", R"({"id":"evt-1"})",
                     "--config", config, "--timeout", TimeoutFlag(kCallTimeout), "--trace"},
                    dir_.path() + "/config-call.log");
  const int status = call.Stop(0, kCallWait);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << call.Output();
  EXPECT_NE(call.Output().find(R"("name": "The Protocol Buffers")"), std::string::npos)
      << call.Output();
  EXPECT_NE(call.Output().find("x-server-id: ticket-1@" + address_), std::string::npos)
      << call.Output();

  // A config pointing where nothing listens: the call follows it and fails...
  const std::string dead = dir_.path() + "/dead.yaml";
  std::ofstream(dead) << "services:\n  ticket: {port: " << kClosedPort << "}\n";
  ChildProcess refused({SwitchboardBinary(), "call", "ticket", "get-event", R"({"id":"evt-1"})",
                        "--config", dead, "--timeout", TimeoutFlag(kCallTimeout)},
                       dir_.path() + "/dead-call.log");
  const int refused_status = refused.Stop(0, kCallWait);
  EXPECT_TRUE(WIFEXITED(refused_status) && WEXITSTATUS(refused_status) == 1) << refused.Output();
  EXPECT_NE(refused.Output().find("127.0.0.1:" + std::to_string(kClosedPort)), std::string::npos)
      << refused.Output();
  // ... unless --address names the server (Call adds it), which wins over the config.
  auto [code, output] = Call({"ticket", "get-event", R"({"id":"evt-1"})", "--config", dead});
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find(R"("id": "evt-1")"), std::string::npos) << output;

  // A config that is not valid stops the call with the key it names.
  const std::string bad = dir_.path() + "/bad.yaml";
  std::ofstream(bad) << "services:\n  ticket: {port: http}\n";
  ChildProcess invalid({SwitchboardBinary(), "call", "ticket", "get-event", "--config", bad},
                       dir_.path() + "/bad-call.log");
  const int invalid_status = invalid.Stop(0, kCallWait);
  EXPECT_TRUE(WIFEXITED(invalid_status) && WEXITSTATUS(invalid_status) == 2) << invalid.Output();
  EXPECT_NE(invalid.Output().find("services.ticket.port"), std::string::npos) << invalid.Output();
}

// The service's short name as `call` takes it: switchboard.ticket.v1.TicketService -> "ticket".
std::string ShortName(const google::protobuf::ServiceDescriptor* service) {
  const std::string& package = service->file()->package();
  const auto first = package.find('.');
  return package.substr(first + 1, package.rfind('.') - first - 1);
}

TEST_F(CallTest, ListNamesEveryServiceAndMethodWithItsShape) {
  ChildProcess list({SwitchboardBinary(), "call", "--list"}, dir_.path() + "/list.log");
  const int status = list.Stop(0, kCallWait);
  const std::string output = list.Output();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  // Each of the nine services of the README, from the contracts compiled into this test: a
  // method missing from the listing, or listed under the wrong service, fails.
  const google::protobuf::ServiceDescriptor* services[] = {
      ticket::v1::Event::descriptor()->file()->FindServiceByName("TicketService"),
      booking::v1::Booking::descriptor()->file()->FindServiceByName("BookingService"),
      payment::v1::Payment::descriptor()->file()->FindServiceByName("PaymentService"),
      fraud::v1::CheckRequest::descriptor()->file()->FindServiceByName("FraudService"),
      user::v1::User::descriptor()->file()->FindServiceByName("UserService"),
      notification::v1::Notification::descriptor()->file()->FindServiceByName(
          "NotificationService"),
      stock::v1::StockRequest::descriptor()->file()->FindServiceByName("StockService"),
      upload::v1::FileChunk::descriptor()->file()->FindServiceByName("UploadService"),
      chat::v1::ChatMessage::descriptor()->file()->FindServiceByName("ChatService"),
  };
  for (const auto* service : services) {
    ASSERT_NE(service, nullptr);
    const std::string heading = ShortName(service) + "  (" + service->full_name() + ")\n";
    const auto begin = output.find(heading);
    ASSERT_NE(begin, std::string::npos) << heading << output;
    // The service's block: its heading up to the next line that is not indented.
    auto end = begin + heading.size();
    while (end < output.size() && output[end] == ' ') end = output.find('\n', end) + 1;
    const std::string block = output.substr(begin, end - begin);
    EXPECT_EQ(static_cast<int>(std::count(block.begin(), block.end(), '\n')),
              1 + service->method_count())
        << block;
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      const char* shape = method->client_streaming()
                              ? (method->server_streaming() ? "bidi streaming" : "client streaming")
                              : (method->server_streaming() ? "server streaming" : "unary");
      const std::string line = "  " + method->name() + "(" + method->input_type()->name() +
                               ") -> " + method->output_type()->name() + "  [" + shape + "]\n";
      EXPECT_NE(block.find(line), std::string::npos) << line << block;
    }
  }
}

}  // namespace
}  // namespace switchboard
