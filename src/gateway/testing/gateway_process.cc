#include "gateway/testing/gateway_process.h"

#include <sys/wait.h>

#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

namespace switchboard::gateway {
namespace {

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit code " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "signal " + std::to_string(WTERMSIG(wait_status));
  return "wait status " + std::to_string(wait_status);
}

}  // namespace

GatewayProcess::GatewayProcess(const std::string& config_path, const std::string& log_path)
    : process_(std::vector<std::string>{switchboard::testing::SwitchboardBinary(), "gateway",
                                        "--config", config_path},
               log_path) {
  const auto give_up = std::chrono::steady_clock::now() + kStartLimit;
  while (!listening() && process_.Running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(kStartPoll);
  }
  if (listening()) return;
  // The test's own assertion fails next, with the log; this says what ended the wait, since an
  // exec that failed (a binary being relinked: exit code 127) leaves the log empty.
  std::cerr << "switchboard gateway --config " << config_path << ": ";
  if (process_.Running()) {
    std::cerr << "not listening after " << kStartLimit.count() << " s\n";
  } else {
    // Signal 0: the process has exited, Stop only returns its wait status.
    std::cerr << "exited before listening, " << DescribeExit(process_.Stop(0, kStartPoll)) << "\n";
  }
}

GatewayProcess::~GatewayProcess() {
  if (process_.Running()) process_.Stop(SIGTERM, kStopLimit);
}

bool GatewayProcess::listening() const {
  return Output().find(kListeningLine) != std::string::npos;
}

}  // namespace switchboard::gateway
