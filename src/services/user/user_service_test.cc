// UserService over loopback: round trip, every validation error, duplicates (also concurrent),
// and data surviving a restart of the service.
#include "services/user/user_service.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "common/service_host.h"
#include "switchboard/user/v1/user.grpc.pb.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::user {
namespace {

constexpr int64_t kNowMs = 1767225600456;  // 2026-01-01T00:00:00.456Z
constexpr auto kCallTimeout = std::chrono::seconds(10);

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
}

absl::StatusOr<std::unique_ptr<common::Service>> FixedClockService(
    const common::ServiceOptions& options) {
  return MakeUserServiceWithClock(options, [] { return kNowMs; });
}

grpc::Status Create(v1::UserService::Stub& stub, const std::string& email,
                    const std::string& display_name, v1::User* user) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::CreateUserRequest request;
  request.set_email(email);
  request.set_display_name(display_name);
  return stub.CreateUser(&context, request, user);
}

grpc::Status Get(v1::UserService::Stub& stub, const std::string& id, v1::User* user) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetUserRequest request;
  request.set_id(id);
  return stub.GetUser(&context, request, user);
}

class UserServiceTest : public ::testing::Test {
 protected:
  UserServiceTest()
      : server_(FixedClockService), stub_(v1::UserService::NewStub(server_.NewChannel())) {}
  switchboard::testing::TestServer server_;
  std::unique_ptr<v1::UserService::Stub> stub_;
};

TEST_F(UserServiceTest, CreateThenGetRoundTrips) {
  v1::User created;
  grpc::Status status = Create(*stub_, "Ada.Lovelace@Example.com", "Ada Lovelace", &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.id().rfind("usr_", 0), 0u) << created.id();
  EXPECT_EQ(created.email(), "ada.lovelace@example.com");
  EXPECT_EQ(created.display_name(), "Ada Lovelace");
  EXPECT_EQ(created.created_at().seconds(), kNowMs / 1000);
  EXPECT_EQ(created.created_at().nanos(), 456000000);

  v1::User got;
  status = Get(*stub_, created.id(), &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());
}

TEST_F(UserServiceTest, EachValidationErrorNamesTheField) {
  struct Case {
    std::string email;
    std::string display_name;
    std::string field;
  } cases[] = {
      {"", "Ada", "email"},
      {"ab", "Ada", "email"},
      {"ada", "Ada", "email"},
      {"@example.com", "Ada", "email"},
      {"ada@", "Ada", "email"},
      {"ada@b@c", "Ada", "email"},
      {std::string(251, 'a') + "@b.c", "Ada", "email"},
      {"ada@example.com", "", "display_name"},
      {"ada@example.com", std::string(101, 'n'), "display_name"},
  };
  for (const auto& c : cases) {
    v1::User user;
    grpc::Status status = Create(*stub_, c.email, c.display_name, &user);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.email.substr(0, 20) << " / " << c.display_name.substr(0, 20);
    EXPECT_EQ(status.error_message().rfind(c.field + ":", 0), 0u) << status.error_message();
  }
  // Nothing invalid was stored: the address is still free.
  v1::User user;
  EXPECT_TRUE(Create(*stub_, "ada@example.com", std::string(100, 'n'), &user).ok());
}

TEST_F(UserServiceTest, GetUserErrors) {
  v1::User user;
  grpc::Status status = Get(*stub_, "", &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("id:", 0), 0u) << status.error_message();

  status = Get(*stub_, std::string(65, 'u'), &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  status = Get(*stub_, "usr_0000000000000000", &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("usr_0000000000000000"), std::string::npos)
      << status.error_message();
}

TEST_F(UserServiceTest, DuplicateEmailIsAlreadyExistsWhateverTheCase) {
  v1::User first;
  ASSERT_TRUE(Create(*stub_, "grace@example.com", "Grace", &first).ok());
  v1::User second;
  grpc::Status status = Create(*stub_, "Grace@Example.COM", "Grace Again", &second);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(status.error_message().find("grace@example.com"), std::string::npos)
      << status.error_message();
}

TEST_F(UserServiceTest, ConcurrentCreatesOfOneEmailHaveExactlyOneWinner) {
  constexpr int kClients = 20;
  std::vector<grpc::Status> statuses(kClients);
  std::vector<v1::User> users(kClients);
  // Separate channels so the requests really race on separate connections. Each is connected
  // before the race starts: a connect that needs grpc's reconnect backoff is not what this test
  // is about, and connecting inside the race would spread the requests out in time.
  std::vector<std::unique_ptr<v1::UserService::Stub>> stubs;
  for (int i = 0; i < kClients; ++i) {
    auto channel = server_.NewChannel();
    ASSERT_TRUE(
        channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
        << "client " << i << " could not connect";
    stubs.push_back(v1::UserService::NewStub(channel));
  }
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      statuses[i] = Create(*stubs[i], "race@example.com", "Racer " + std::to_string(i), &users[i]);
    });
  }
  go.store(true);
  for (auto& thread : threads) thread.join();
  int ok = 0;
  int already_exists = 0;
  std::string winner;
  for (int i = 0; i < kClients; ++i) {
    if (statuses[i].ok()) {
      ++ok;
      winner = users[i].id();
    } else if (statuses[i].error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      ++already_exists;
    } else {
      ADD_FAILURE() << "client " << i << ": " << statuses[i].error_code() << " "
                    << statuses[i].error_message();
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(already_exists, kClients - 1);
  v1::User got;
  ASSERT_TRUE(Get(*stub_, winner, &got).ok());
  EXPECT_EQ(got.email(), "race@example.com");
}

TEST(UserServiceRestart, DataSurvivesReopeningTheStore) {
  switchboard::testing::TempDir dir;
  common::ServiceOptions options;
  options.name = "user";
  options.data_dir = dir.path();
  options.settings = YAML::Load("{database: people.db}");
  std::string id;
  for (int run = 0; run < 2; ++run) {
    auto service = MakeUserService(options);
    ASSERT_TRUE(service.ok()) << service.status();
    auto host = common::ServiceHost::Start("127.0.0.1:0", {service->get()});
    ASSERT_TRUE(host.ok()) << host.status();
    auto stub = v1::UserService::NewStub(
        grpc::CreateChannel((*host)->address(), grpc::InsecureChannelCredentials()));
    v1::User user;
    if (run == 0) {
      ASSERT_TRUE(Create(*stub, "hopper@example.com", "Grace Hopper", &user).ok());
      id = user.id();
    } else {
      grpc::Status status = Get(*stub, id, &user);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(user.display_name(), "Grace Hopper");
      EXPECT_EQ(Create(*stub, "hopper@example.com", "Again", &user).error_code(),
                grpc::StatusCode::ALREADY_EXISTS);
    }
    (*host)->Shutdown();
  }
}

TEST(UserServiceSettings, UnknownSettingFailsAtStart) {
  switchboard::testing::TempDir dir;
  common::ServiceOptions options;
  options.data_dir = dir.path();
  options.settings = YAML::Load("{colour: red}");
  auto service = MakeUserService(options);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("services.user.colour"), std::string::npos)
      << service.status();
}

}  // namespace
}  // namespace switchboard::user
