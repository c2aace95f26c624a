#include "cli/process_group.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"

namespace switchboard::cli {
namespace {

constexpr std::chrono::milliseconds kPollInterval{20};

pid_t Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // A supervisor that dies without stopping its children (SIGKILL, SIGPIPE) takes them along.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

bool ProcessGroup::Start(const std::string& name, const std::vector<std::string>& argv) {
  const pid_t pid = Spawn(argv);
  if (pid < 0) return false;
  children_.push_back(ChildInfo{name, pid, false, 0, argv});
  return true;
}

bool ProcessGroup::Restart(const std::string& name) {
  for (ChildInfo& child : children_) {
    if (child.name != name || !child.exited) continue;
    const pid_t pid = Spawn(child.argv);
    if (pid < 0) return false;
    child.pid = pid;
    child.exited = false;
    child.wait_status = 0;
    return true;
  }
  return false;
}

std::optional<ChildInfo> ProcessGroup::ReapExited() {
  for (ChildInfo& child : children_) {
    if (child.exited) continue;
    if (waitpid(child.pid, &child.wait_status, WNOHANG) == child.pid) {
      child.exited = true;
      return child;
    }
  }
  return std::nullopt;
}

void ProcessGroup::StopAll(std::chrono::milliseconds grace, const std::string& last) {
  Stop(grace, [&last](const ChildInfo& child) { return child.name != last; });
  Stop(grace, [](const ChildInfo&) { return true; });
}

void ProcessGroup::Stop(std::chrono::milliseconds grace,
                        const std::function<bool(const ChildInfo&)>& which) {
  for (ChildInfo& child : children_) {
    if (!child.exited && which(child)) kill(child.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  bool any_running = true;
  while (any_running && std::chrono::steady_clock::now() < deadline) {
    while (ReapExited()) {
    }
    any_running = false;
    for (const ChildInfo& child : children_) any_running |= !child.exited && which(child);
    if (any_running) std::this_thread::sleep_for(kPollInterval);
  }
  for (ChildInfo& child : children_) {
    if (child.exited || !which(child)) continue;
    kill(child.pid, SIGKILL);
    waitpid(child.pid, &child.wait_status, 0);
    child.exited = true;
  }
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return absl::StrCat("exited with code ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return absl::StrCat("killed by signal ", WTERMSIG(wait_status));
  return "stopped";
}

}  // namespace switchboard::cli
