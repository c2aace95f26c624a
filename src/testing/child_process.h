// A child process for end-to-end tests: started with its output captured to a file, always
// stopped (SIGTERM, then SIGKILL) when the object goes away, even when the test fails.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace switchboard::testing {

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& output_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal` and waits up to `timeout` for the exit; returns the wait status, or -1 when
  // it had to be killed.
  int Stop(int signal, std::chrono::milliseconds timeout);
  // True while the process has not exited.
  bool Running();
  std::string Output() const;

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string output_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// The path of the built `switchboard` binary (set by CMake for the tests).
std::string SwitchboardBinary();

}  // namespace switchboard::testing
