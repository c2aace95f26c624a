#include "cli/call_context.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <csignal>
#include <iostream>

#include "absl/strings/ascii.h"
#include "common/duration.h"
#include "common/shutdown_signal.h"
#include "common/status.h"

namespace switchboard::cli {
namespace {

constexpr std::chrono::milliseconds kSignalPoll{100};
constexpr int kMaxReceiveBytes = 64 * 1024 * 1024;

}  // namespace

CancelOnSignal::CancelOnSignal(grpc::ClientContext* context) {
  thread_ = std::thread([this, context] {
    while (!done_) {
      const int sig = common::WaitForSignal(kSignalPoll);
      if (sig == SIGINT || sig == SIGTERM) {
        signalled_ = true;
        context->TryCancel();
        return;
      }
    }
  });
}

CancelOnSignal::~CancelOnSignal() {
  done_ = true;
  thread_.join();
}

std::optional<std::string> PrepareContext(const CallFlags& flags, grpc::ClientContext* context) {
  if (!flags.timeout.empty()) {
    auto timeout = common::ParseDuration(flags.timeout);
    if (!timeout.ok()) return "--timeout: " + std::string(timeout.status().message());
    context->set_deadline(std::chrono::system_clock::now() + *timeout);
  }
  for (const auto& header : flags.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      return "-H \"" + header + "\": expected \"key: value\"";
    }
    std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header.substr(0, colon)));
    std::string value(absl::StripAsciiWhitespace(header.substr(colon + 1)));
    context->AddMetadata(key, value);
  }
  if (flags.trace) context->AddMetadata("x-deadline-trace", "1");
  return std::nullopt;
}

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  // An address list (the replicas of a service): calls are balanced over it as the services
  // balance theirs, not all sent to its first address as pick_first would.
  if (address.find(',') != std::string::npos) args.SetLoadBalancingPolicyName("round_robin");
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

int ReportOutcome(const CallFlags& flags, const grpc::ClientContext& context,
                  const grpc::Status& status, bool signalled) {
  if (flags.trace) {
    for (const auto* metadata :
         {&context.GetServerInitialMetadata(), &context.GetServerTrailingMetadata()}) {
      for (const auto& [key, value] : *metadata) {
        if (key == "x-deadline-budget" || key == "x-server-id") {
          std::cerr << std::string(key.data(), key.size()) << ": "
                    << std::string(value.data(), value.size()) << "\n";
        }
      }
    }
  }
  if (signalled) return 130;
  if (status.ok()) return 0;
  std::cerr << "error: " << common::StatusCodeName(status.error_code()) << ": "
            << status.error_message() << "\n";
  return 1;
}

}  // namespace switchboard::cli
