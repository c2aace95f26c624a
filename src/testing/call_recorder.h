// Records what a real test server saw of each call: that it started and the status it ended
// with, per full method name, so a test through the gateway can assert what reached the
// backend (a cancel, a deadline) instead of what the gateway says about it.
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/service_host.h"

namespace switchboard::testing {

// One call as the server's interceptors saw it.
struct RecordedCall {
  using Clock = std::chrono::steady_clock;

  // The full method name ("/pkg.Service/Method"); empty when grpc++ gave none.
  std::string method;
  // When its initial metadata was received (POST_RECV_INITIAL_METADATA).
  bool started = false;
  Clock::time_point started_at;
  // The request metadata it arrived with (names lower case, as on the wire).
  std::multimap<std::string, std::string> metadata;
  // The values of one metadata entry, in the order they came.
  std::vector<std::string> Metadata(const std::string& name) const {
    std::vector<std::string> values;
    auto [first, last] = metadata.equal_range(name);
    for (auto it = first; it != last; ++it) values.push_back(it->second);
    return values;
  }
  // The status the server sent (PRE_SEND_STATUS): the handler's own when it finished the
  // call, grpc++'s when it answered the call itself (an unknown method).
  bool finished = false;
  grpc::Status status;
  Clock::time_point finished_at;
  // ServerContext::IsCancelled() when the status was sent: the client or its deadline had
  // ended the call by then.
  bool cancelled = false;
};

// Thread-safe. Outlives nothing it hands out: the interceptors share its state, so a server
// that stops after the recorder is destroyed still records safely.
class CallRecorder {
 public:
  using Clock = RecordedCall::Clock;

  CallRecorder();

  // Host options for a TestServer whose calls this recorder records; `base`'s own
  // add_interceptors, if any, still runs first.
  common::HostOptions Options(common::HostOptions base = {}) const;
  // The interceptor factory itself, for a server built by hand.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewFactory() const;

  // Calls of `method` whose initial metadata arrived / whose status was sent, so far.
  int Started(const std::string& method) const;
  int Finished(const std::string& method) const;
  // Every call seen so far of `method`, in the order they began.
  std::vector<RecordedCall> Calls(const std::string& method) const;
  // Every call seen so far, of any method (a call grpc++ could not match to a method included).
  std::vector<RecordedCall> AllCalls() const;

  // Waits until at least `count` calls of `method` started; false when `timeout` passed first.
  bool WaitForStarted(const std::string& method, int count,
                      std::chrono::milliseconds timeout) const;
  // Waits until at least `count` calls of `method` finished, at most `timeout`; returns the
  // finished ones (fewer than `count` when the wait gave up).
  std::vector<RecordedCall> WaitForFinished(const std::string& method, int count,
                                            std::chrono::milliseconds timeout) const;
  // Waits until every call of `method` that started has finished; false on timeout.
  bool WaitUntilAllFinished(const std::string& method, std::chrono::milliseconds timeout) const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace switchboard::testing
