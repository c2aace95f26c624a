// `switchboard call` against a real `switchboard serve`, as a person uses it from a shell.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "common/health_probe.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::SwitchboardBinary;

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
    const int status = call.Stop(0, std::chrono::seconds(20));
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
  const auto start = std::chrono::steady_clock::now();
  ChildProcess call({SwitchboardBinary(), "call", "ticket", "get-event", R"({"id":"evt-1"})",
                     "--address", "127.0.0.1:1", "--timeout", "2s"},
                    dir_.path() + "/call.log");
  const int status = call.Stop(0, std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << call.Output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  const std::string output = call.Output();
  EXPECT_TRUE(output.find("UNAVAILABLE") != std::string::npos ||
              output.find("DEADLINE_EXCEEDED") != std::string::npos)
      << output;
}

}  // namespace
}  // namespace switchboard
