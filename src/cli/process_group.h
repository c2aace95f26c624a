// The child processes of `switchboard up`: started together, watched, stopped together.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::cli {

struct ChildInfo {
  std::string name;
  pid_t pid = -1;
  bool exited = false;
  int wait_status = 0;
  std::vector<std::string> argv;
};

class ProcessGroup {
 public:
  ~ProcessGroup() { StopAll(std::chrono::seconds(5)); }

  // Starts `argv` as a child named `name`; returns false when fork or exec fails.
  bool Start(const std::string& name, const std::vector<std::string>& argv);
  // Starts the exited child `name` again with the same argv.
  bool Restart(const std::string& name);
  // Reaps exited children; returns the first one that exited since the last call.
  std::optional<ChildInfo> ReapExited();
  // SIGTERM to every running child, SIGKILL to those still running after `grace`. The child
  // named `last` (the xDS control plane, which the others deregister from as they stop) is
  // stopped only once all the others are gone.
  void StopAll(std::chrono::milliseconds grace, const std::string& last = "");
  const std::vector<ChildInfo>& children() const { return children_; }

 private:
  // StopAll for the children `which` picks.
  void Stop(std::chrono::milliseconds grace, const std::function<bool(const ChildInfo&)>& which);

  std::vector<ChildInfo> children_;
};

// "exited with code 3" or "killed by signal 9".
std::string DescribeWaitStatus(int wait_status);

}  // namespace switchboard::cli
