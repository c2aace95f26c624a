#include "xds/load_counter.h"

#include <string_view>

namespace switchboard::xds {
namespace {

constexpr std::string_view kUncountedPrefixes[] = {"/grpc.health.v1.", "/grpc.reflection."};

bool Counted(const char* method) {
  const std::string_view name = method != nullptr ? method : "";
  for (std::string_view prefix : kUncountedPrefixes) {
    if (name.substr(0, prefix.size()) == prefix) return false;
  }
  return true;
}

// Lives exactly as long as its call: started when grpc++ creates it, finished when it goes.
class LoadCountingInterceptor : public grpc::experimental::Interceptor {
 public:
  LoadCountingInterceptor(LoadCounter* counter, bool counted)
      : counter_(counted ? counter : nullptr) {
    if (counter_ != nullptr) counter_->CallStarted();
  }
  ~LoadCountingInterceptor() override {
    if (counter_ != nullptr) counter_->CallFinished();
  }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  LoadCounter* const counter_;
};

class LoadCountingInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit LoadCountingInterceptorFactory(LoadCounter* counter) : counter_(counter) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new LoadCountingInterceptor(counter_, Counted(info->method()));
  }

 private:
  LoadCounter* const counter_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeLoadCountingInterceptorFactory(LoadCounter* counter) {
  return std::make_unique<LoadCountingInterceptorFactory>(counter);
}

}  // namespace switchboard::xds
