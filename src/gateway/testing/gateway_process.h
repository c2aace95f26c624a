// A `switchboard gateway --config FILE` child for end-to-end tests: started, waited for until it
// logs that it listens, and always stopped when the object goes away, even when a test fails.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "testing/child_process.h"

// In switchboard::gateway, beside TestGatewayConfig, rather than in gateway::testing: the suites
// live in switchboard::gateway and name switchboard::testing as plain `testing::`.
namespace switchboard::gateway {

class GatewayProcess {
 public:
  // What the gateway logs once its listeners accept connections.
  static constexpr char kListeningLine[] = "gateway listening";
  // How long a start may take on a loaded machine (seven builds and test runs on two cores).
  static constexpr std::chrono::seconds kStartLimit{20};
  // How often the log is read while waiting for kListeningLine.
  static constexpr std::chrono::milliseconds kStartPoll{20};
  // How long the destructor waits after SIGTERM (the drain included) before SIGKILL.
  static constexpr std::chrono::seconds kStopLimit{10};

  // Starts the built binary with `config_path`, its stdout and stderr written to `log_path`, and
  // returns once it has logged kListeningLine, has exited, or kStartLimit has passed: a test
  // checks listening() (the log says why it did not start).
  GatewayProcess(const std::string& config_path, const std::string& log_path);
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  bool listening() const;
  // True while the process has not exited.
  bool Running() { return process_.Running(); }
  pid_t pid() const { return process_.pid(); }
  // Everything it has written to stdout and stderr so far.
  std::string Output() const { return process_.Output(); }
  // Sends `signal` (0: none, only waits) and waits up to `limit` for the exit; the wait status,
  // or -1 when it had to be killed.
  int Stop(int signal, std::chrono::milliseconds limit) { return process_.Stop(signal, limit); }

 private:
  switchboard::testing::ChildProcess process_;
};

}  // namespace switchboard::gateway
