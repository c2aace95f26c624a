#include "common/server_identity.h"

#include <atomic>

namespace switchboard::common {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ServerIdInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit ServerIdInterceptor(std::shared_ptr<const std::string> id) : id_(std::move(id)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    const bool headers =
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA);
    const bool status = methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS);
    if (!id_->empty() && headers) {
      // An error answered before anything else is a trailers-only response; a header of our
      // own would turn it into headers + trailers, so the id goes with the status instead.
      if (status && !methods->GetSendStatus().ok()) {
        methods->GetSendTrailingMetadata()->emplace(kServerIdHeader, *id_);
      } else {
        methods->GetSendInitialMetadata()->emplace(kServerIdHeader, *id_);
      }
    }
    methods->Proceed();
  }

 private:
  std::shared_ptr<const std::string> id_;
};

class ServerIdInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ServerIdInterceptorFactory(std::shared_ptr<ServerIdentity> identity)
      : identity_(std::move(identity)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new ServerIdInterceptor(identity_->Get());
  }

 private:
  std::shared_ptr<ServerIdentity> identity_;
};

}  // namespace

void ServerIdentity::Set(std::string id) {
  std::atomic_store(&id_, std::make_shared<const std::string>(std::move(id)));
}

std::shared_ptr<const std::string> ServerIdentity::Get() const { return std::atomic_load(&id_); }

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerIdInterceptorFactory(std::shared_ptr<ServerIdentity> identity) {
  return std::make_unique<ServerIdInterceptorFactory>(std::move(identity));
}

}  // namespace switchboard::common
