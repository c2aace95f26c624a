// What every `switchboard call` mode shares: the target address, a ClientContext with the
// deadline and metadata from the flags, Ctrl-C turned into a cancellation, and the way a
// final status is reported.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace switchboard::cli {

struct CallFlags {
  std::string service;
  std::string method;
  std::string request = "{}";
  std::string address;
  std::string config_path;
  // health (served by every service): which service's process to ask.
  std::string on;
  std::string timeout;
  std::vector<std::string> headers;  // "key: value"
  bool trace = false;
  bool list = false;
  bool compact = false;
  // Mode-specific.
  std::string file;
  std::string output;
  std::string name;
  int chunk_size = 64 * 1024;
  std::string room;
  std::string user;
};

// Cancels `context` when SIGINT or SIGTERM arrives, until destroyed.
class CancelOnSignal {
 public:
  explicit CancelOnSignal(grpc::ClientContext* context);
  ~CancelOnSignal();
  bool signalled() const { return signalled_; }

 private:
  std::atomic<bool> done_{false};
  std::atomic<bool> signalled_{false};
  std::thread thread_;
};

// Applies --timeout and -H to `context`; returns an error message for a bad value.
std::optional<std::string> PrepareContext(const CallFlags& flags, grpc::ClientContext* context);

// A channel to `address`: host:port, or a list ("ipv4:a:1,a:2") balanced round robin.
std::shared_ptr<grpc::Channel> OpenChannel(const std::string& address);

// Prints trace metadata (--trace) and the status; returns the exit code: 0 OK, 130 after
// Ctrl-C, 1 for any other error.
int ReportOutcome(const CallFlags& flags, const grpc::ClientContext& context,
                  const grpc::Status& status, bool signalled);

}  // namespace switchboard::cli
