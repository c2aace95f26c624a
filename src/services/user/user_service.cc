// UserService: validation in front of the UserStore.
#include "services/user/user_service.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/data_dir.h"
#include "common/status.h"
#include "services/user/user_config.h"
#include "services/user/user_store.h"
#include "services/user/user_validation.h"
#include "switchboard/user/v1/user.grpc.pb.h"

namespace switchboard::user {
namespace {

int64_t SystemUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class UserServiceImpl final : public v1::UserService::CallbackService {
 public:
  UserServiceImpl(UserStore* store, UnixMillisClock clock)
      : store_(store), clock_(std::move(clock)) {}

  grpc::ServerUnaryReactor* CreateUser(grpc::CallbackServerContext* context,
                                       const v1::CreateUserRequest* request,
                                       v1::User* response) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(common::ToGrpcStatus(Create(*request, *response)));
    return reactor;
  }

  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const v1::GetUserRequest* request,
                                    v1::User* response) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(common::ToGrpcStatus(Get(*request, *response)));
    return reactor;
  }

 private:
  absl::Status Create(const v1::CreateUserRequest& request, v1::User& response) {
    auto email = NormalizeEmail(request.email());
    if (!email.ok()) return email.status();
    if (auto s = ValidateDisplayName(request.display_name()); !s.ok()) return s;
    auto user = store_->Create(*email, request.display_name(), clock_());
    if (!user.ok()) return user.status();
    response = std::move(*user);
    return absl::OkStatus();
  }

  absl::Status Get(const v1::GetUserRequest& request, v1::User& response) {
    if (auto s = ValidateUserId(request.id()); !s.ok()) return s;
    auto user = store_->Get(request.id());
    if (!user.ok()) return user.status();
    response = std::move(*user);
    return absl::OkStatus();
  }

  UserStore* store_;
  UnixMillisClock clock_;
};

class UserService final : public common::Service {
 public:
  UserService(std::unique_ptr<UserStore> store, UnixMillisClock clock)
      : store_(std::move(store)), grpc_service_(store_.get(), std::move(clock)) {}
  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }

 private:
  std::unique_ptr<UserStore> store_;
  UserServiceImpl grpc_service_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<common::Service>> MakeUserServiceWithClock(
    const common::ServiceOptions& options, UnixMillisClock clock) {
  auto config = ReadUserConfig(options.settings);
  if (!config.ok()) return config.status();
  auto path = common::DataPath(options.data_dir, config->database);
  if (!path.ok()) return path.status();
  auto store = UserStore::Open(*path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<common::Service>(new UserService(std::move(*store), std::move(clock)));
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeUserService(
    const common::ServiceOptions& options) {
  return MakeUserServiceWithClock(options, SystemUnixMillis);
}

}  // namespace switchboard::user
