#include "testing/call_recorder.h"

#include <grpcpp/server_context.h>

#include <utility>

namespace switchboard::testing {

using grpc::experimental::InterceptionHookPoints;

struct CallRecorder::State {
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  // Indexed by the order calls reached the interceptor; never shrinks, so an index stays valid.
  std::vector<RecordedCall> calls;
};

namespace {

class RecordingInterceptor : public grpc::experimental::Interceptor {
 public:
  RecordingInterceptor(grpc::experimental::ServerRpcInfo* info,
                       std::shared_ptr<CallRecorder::State> state)
      : info_(info), state_(std::move(state)) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    index_ = state_->calls.size();
    RecordedCall call;
    call.method = info->method() != nullptr ? info->method() : "";
    state_->calls.push_back(std::move(call));
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::multimap<std::string, std::string> metadata;
      for (const auto& [name, value] : *methods->GetRecvInitialMetadata()) {
        metadata.emplace(std::string(name.data(), name.size()),
                         std::string(value.data(), value.size()));
      }
      {
        std::lock_guard<std::mutex> lock(state_->mutex);
        RecordedCall& call = state_->calls[index_];
        call.started = true;
        call.started_at = RecordedCall::Clock::now();
        call.metadata = std::move(metadata);
      }
      state_->changed.notify_all();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const grpc::ServerContextBase* context = info_->server_context();
      const bool cancelled = context != nullptr && context->IsCancelled();
      {
        std::lock_guard<std::mutex> lock(state_->mutex);
        RecordedCall& call = state_->calls[index_];
        call.finished = true;
        call.status = status;
        call.cancelled = cancelled;
        call.finished_at = RecordedCall::Clock::now();
      }
      state_->changed.notify_all();
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  std::shared_ptr<CallRecorder::State> state_;
  size_t index_ = 0;
};

class RecordingInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RecordingInterceptorFactory(std::shared_ptr<CallRecorder::State> state)
      : state_(std::move(state)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RecordingInterceptor(info, state_);
  }

 private:
  std::shared_ptr<CallRecorder::State> state_;
};

template <typename Predicate>
int CountIf(const std::vector<RecordedCall>& calls, const std::string& method,
            Predicate predicate) {
  int n = 0;
  for (const RecordedCall& call : calls) {
    if (call.method == method && predicate(call)) ++n;
  }
  return n;
}

int CountStarted(const std::vector<RecordedCall>& calls, const std::string& method) {
  return CountIf(calls, method, [](const RecordedCall& call) { return call.started; });
}

int CountFinished(const std::vector<RecordedCall>& calls, const std::string& method) {
  return CountIf(calls, method, [](const RecordedCall& call) { return call.finished; });
}

}  // namespace

CallRecorder::CallRecorder() : state_(std::make_shared<State>()) {}

common::HostOptions CallRecorder::Options(common::HostOptions base) const {
  auto before = std::move(base.add_interceptors);
  auto state = state_;
  base.add_interceptors = [before, state](auto& interceptors) {
    if (before) before(interceptors);
    interceptors.push_back(std::make_unique<RecordingInterceptorFactory>(state));
  };
  return base;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> CallRecorder::NewFactory()
    const {
  return std::make_unique<RecordingInterceptorFactory>(state_);
}

int CallRecorder::Started(const std::string& method) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return CountStarted(state_->calls, method);
}

int CallRecorder::Finished(const std::string& method) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return CountFinished(state_->calls, method);
}

std::vector<RecordedCall> CallRecorder::Calls(const std::string& method) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::vector<RecordedCall> calls;
  for (const RecordedCall& call : state_->calls) {
    if (call.method == method) calls.push_back(call);
  }
  return calls;
}

std::vector<RecordedCall> CallRecorder::AllCalls() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->calls;
}

bool CallRecorder::WaitForStarted(const std::string& method, int count,
                                  std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->changed.wait_for(lock, timeout,
                                  [&] { return CountStarted(state_->calls, method) >= count; });
}

std::vector<RecordedCall> CallRecorder::WaitForFinished(const std::string& method, int count,
                                                        std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->changed.wait_for(lock, timeout,
                           [&] { return CountFinished(state_->calls, method) >= count; });
  std::vector<RecordedCall> finished;
  for (const RecordedCall& call : state_->calls) {
    if (call.method == method && call.finished) finished.push_back(call);
  }
  return finished;
}

bool CallRecorder::WaitUntilAllFinished(const std::string& method,
                                        std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->changed.wait_for(lock, timeout, [&] {
    return CountIf(state_->calls, method,
                   [](const RecordedCall& call) { return call.started && !call.finished; }) == 0;
  });
}

}  // namespace switchboard::testing
