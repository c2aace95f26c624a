// The access log of a real `switchboard gateway` process: one line per call, written in
// batches, none lost when the gateway stops right after a burst of calls.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/child_process.h"  // FreePort
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr char kAccessLine[] =
    "access protocol=grpc method=/switchboard.ticket.v1.TicketService/GetEvent status=";

int AccessLines(const std::string& output) {
  int lines = 0;
  for (size_t at = output.find(kAccessLine); at != std::string::npos;
       at = output.find(kAccessLine, at + 1)) {
    ++lines;
  }
  return lines;
}

// The gateway process in front of `backend`, its config and log in a directory of its own.
class TicketGateway {
 public:
  explicit TicketGateway(const std::string& backend) : port_(testing::FreePort()) {
    const std::string config = dir_.path() + "/gateway.yaml";
    std::ofstream(config) << "listen: 127.0.0.1:" << port_ << "\nworkers: " << TestGatewayWorkers()
                          << "\ndescriptors: [" SB_DESCRIPTOR_SET
                          << "]\nservices: {switchboard.ticket.v1.TicketService: {backends: ["
                          << backend << "]}}\n";
    process_ = std::make_unique<GatewayProcess>(config, dir_.path() + "/gateway.log");
  }
  int port() const { return port_; }
  std::string Output() const { return process_->Output(); }
  int Stop() { return process_->Stop(SIGTERM, seconds(10)); }

 private:
  testing::TempDir dir_;
  int port_;
  std::unique_ptr<GatewayProcess> process_;
};

void CallGetEvent(int port, int calls) {
  auto stub = ticket::v1::TicketService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(5));
    ticket::v1::GetEventRequest request;
    request.set_id("evt-1");
    ticket::v1::Event event;
    ASSERT_TRUE(stub->GetEvent(&context, request, &event).ok());
  }
}

TEST(AccessLog, EveryCallGetsOneLineWithinTheFlushInterval) {
  // The README's bound: a line waits at most the flush interval (kAccessLogFlushInterval in
  // cli/gateway_command.cc) before it is written.
  constexpr milliseconds kFlushInterval{200};
  // Allowed beyond it: the flusher thread waking late on a busy machine, the write reaching
  // the output file, and this test's polling of that file.
  constexpr milliseconds kSchedulingMargin{100};
  constexpr milliseconds kPollInterval{5};
  // Where the wait gives up, so that a line that never comes fails rather than hangs.
  constexpr seconds kGiveUp{5};
  // Several bursts, each timed, so that they end at different points of the flush cycle.
  constexpr int kRounds = 4;
  constexpr int kCallsPerRound = 10;
  testing::TestServer backend{ticket::MakeTicketService};
  TicketGateway gateway(backend.address());
  ASSERT_NE(gateway.Output().find("gateway listening"), std::string::npos) << gateway.Output();
  for (int round = 1; round <= kRounds; ++round) {
    CallGetEvent(gateway.port(), kCallsPerRound);
    // From the last call of the burst to its line on the gateway's output.
    const auto last_call = Clock::now();
    const int expected = round * kCallsPerRound;
    while (AccessLines(gateway.Output()) < expected && Clock::now() - last_call < kGiveUp) {
      std::this_thread::sleep_for(kPollInterval);
    }
    const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - last_call);
    ASSERT_EQ(AccessLines(gateway.Output()), expected) << "round " << round << gateway.Output();
    EXPECT_LE(waited, kFlushInterval + kSchedulingMargin)
        << "round " << round << ": the last line came " << waited.count() << " ms after its call";
  }
  // The same layout as every other log line: UTC time to the millisecond, level, message.
  const std::regex layout(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info )");
  const std::string output = gateway.Output();
  std::smatch line;
  ASSERT_TRUE(std::regex_search(
      output, line,
      std::regex(R"([^\n]*access protocol=grpc [^\n]*status=OK duration_ms=[0-9.]+\n)")))
      << output;
  EXPECT_TRUE(std::regex_search(line.str(), layout)) << line.str();
  ASSERT_TRUE(std::regex_search(output, line, std::regex(R"([^\n]*gateway listening[^\n]*)")));
  EXPECT_TRUE(std::regex_search(line.str(), layout)) << line.str();
}

TEST(AccessLog, LinesStillWaitingAreWrittenWhenTheGatewayStops) {
  testing::TestServer backend{ticket::MakeTicketService};
  TicketGateway gateway(backend.address());
  ASSERT_NE(gateway.Output().find("gateway listening"), std::string::npos) << gateway.Output();
  CallGetEvent(gateway.port(), 300);
  const int status = gateway.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << gateway.Output();
  EXPECT_EQ(AccessLines(gateway.Output()), 300) << gateway.Output();
}

}  // namespace
}  // namespace switchboard::gateway
