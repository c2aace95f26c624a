#include "services/ticket/ticket_service.h"

#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::ticket {
namespace {

class TicketServiceTest : public ::testing::Test {
 protected:
  TicketServiceTest()
      : server_(MakeTicketService), stub_(v1::TicketService::NewStub(server_.NewChannel())) {}
  switchboard::testing::TestServer server_;
  std::unique_ptr<v1::TicketService::Stub> stub_;
};

TEST_F(TicketServiceTest, GetEventReturnsTheEvent) {
  grpc::ClientContext context;
  v1::GetEventRequest request;
  request.set_id("evt-3");
  v1::Event event;
  grpc::Status status = stub_->GetEvent(&context, request, &event);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(event.venue(), "Blue Note, New York");
  EXPECT_EQ(event.capacity(), 300);
}

TEST_F(TicketServiceTest, BadRequestsGetTheRightCode) {
  struct Case {
    std::string id;
    grpc::StatusCode code;
    std::string mentions;
  } cases[] = {
      {"", grpc::StatusCode::INVALID_ARGUMENT, "id"},
      {std::string(500, 'x'), grpc::StatusCode::INVALID_ARGUMENT, "id"},
      {"evt-999", grpc::StatusCode::NOT_FOUND, "evt-999"},
  };
  for (const auto& c : cases) {
    grpc::ClientContext context;
    v1::GetEventRequest request;
    request.set_id(c.id);
    v1::Event event;
    grpc::Status status = stub_->GetEvent(&context, request, &event);
    EXPECT_EQ(status.error_code(), c.code) << c.id.substr(0, 20);
    EXPECT_NE(status.error_message().find(c.mentions), std::string::npos) << status.error_message();
  }
}

TEST_F(TicketServiceTest, ListEventsPaginates) {
  v1::ListEventsRequest request;
  request.set_page_size(10);
  v1::ListEventsResponse first;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListEvents(&context, request, &first).ok());
  }
  EXPECT_EQ(first.events_size(), 10);
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  v1::ListEventsResponse second;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ListEvents(&context, request, &second).ok());
  EXPECT_EQ(second.events_size(), 2);
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST_F(TicketServiceTest, OversizedRequestIsResourceExhausted) {
  grpc::ClientContext context;
  v1::GetEventRequest request;
  request.set_id(std::string(5 * 1024 * 1024, 'x'));
  v1::Event event;
  grpc::Status status = stub_->GetEvent(&context, request, &event);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
}

TEST(TicketServiceSettings, UnknownSettingFailsAtStart) {
  common::ServiceOptions options;
  options.data_dir = "/tmp";
  options.settings = YAML::Load("{colour: red}");
  auto service = MakeTicketService(options);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("services.ticket.colour"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::ticket
