// Which replica answers each call of one client (docs/report.md, section 4): GetEvent calls over
// one grpc++ channel, counted by the `x-server-id` each reply carries.
//   bench_balance --target=T [--lb=pick_first|round_robin|""] [--calls=3000]
// T is anything grpc++ resolves: HOST:PORT (a proxy, the gateway), "ipv4:A,B,C" (client-side
// balancing), "xds:///ticket" (with GRPC_XDS_BOOTSTRAP_CONFIG set). --lb="" leaves the policy to
// the resolver (xDS sends its own). Prints "server <id> <calls>" lines and "errors <n>".
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "bench_common.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"

namespace switchboard::bench {
namespace {

constexpr int64_t kMaxCalls = 10000000;
constexpr int64_t kConnectSeconds = 10;
constexpr int64_t kCallTimeoutMs = 5000;
constexpr char kServerIdHeader[] = "x-server-id";  // src/common/server_identity.h
constexpr char kEventId[] = "evt-1";               // seeded by the ticket service

int Run(int argc, char** argv) {
  Flags flags(argc, argv);
  const std::string target = flags.Str("target", "");
  const std::string lb = flags.Str("lb", "pick_first");
  const int64_t calls = flags.Int("calls", 3000);
  flags.CheckAllUsed();
  if (target.empty()) {
    std::fprintf(stderr, "--target is required\n");
    return 2;
  }
  if (calls < 1 || calls > kMaxCalls) {
    std::fprintf(stderr, "--calls=%lld: must be 1..%lld\n", static_cast<long long>(calls),
                 static_cast<long long>(kMaxCalls));
    return 2;
  }
  if (!lb.empty() && lb != "pick_first" && lb != "round_robin") {
    std::fprintf(stderr, "--lb=%s: expected pick_first, round_robin or empty\n", lb.c_str());
    return 2;
  }
  grpc::ChannelArguments args;
  if (!lb.empty()) args.SetLoadBalancingPolicyName(lb);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::seconds(kConnectSeconds))) {
    std::fprintf(stderr, "--target=%s: not connected within %lld s\n", target.c_str(),
                 static_cast<long long>(kConnectSeconds));
    return 1;
  }
  auto stub = ticket::v1::TicketService::NewStub(channel);
  std::map<std::string, int64_t> by_server;
  int64_t errors = 0;
  ticket::v1::GetEventRequest request;
  request.set_id(kEventId);
  for (int64_t i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(kCallTimeoutMs));
    ticket::v1::Event event;
    const grpc::Status status = stub->GetEvent(&context, request, &event);
    if (!status.ok()) {
      if (++errors == 1) {
        std::fprintf(stderr, "first error: %d %s\n", status.error_code(),
                     status.error_message().c_str());
      }
      continue;
    }
    const auto& headers = context.GetServerInitialMetadata();
    const auto it = headers.find(kServerIdHeader);
    ++by_server[it == headers.end() ? "(none)" : std::string(it->second.data(), it->second.size())];
  }
  for (const auto& [server, count] : by_server) {
    std::printf("server %s %lld\n", server.c_str(), static_cast<long long>(count));
  }
  std::printf("errors %lld\n", static_cast<long long>(errors));
  return 0;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) { return switchboard::bench::Run(argc, argv); }
