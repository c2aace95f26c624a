#include "route_table.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "test_descriptors.h"

namespace switchboard::gateway::rest {
namespace {

const std::vector<std::string> kContractServices = {
    "switchboard.ticket.v1.TicketService",
    "switchboard.booking.v1.BookingService",
    "switchboard.stock.v1.StockService",
    "switchboard.user.v1.UserService",
    "switchboard.notification.v1.NotificationService",
    "switchboard.upload.v1.UploadService",
    "switchboard.chat.v1.ChatService",
    "switchboard.payment.v1.PaymentService",
};

class RouteTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::NewTestPool();
    ASSERT_TRUE(
        testing::AddTestService(pool_.get(), "sbtest/v1/service.proto", testing::kTestServiceText)
            .ok());
    std::vector<std::string> services = kContractServices;
    services.push_back("sbtest.v1.TestService");
    auto table = RouteTable::Build(*pool_, services);
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = std::make_unique<RouteTable>(*std::move(table));
  }

  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::unique_ptr<RouteTable> table_;
};

struct LookupCase {
  std::string http_method;
  std::string path;
  std::string grpc_method;  // full name
  std::vector<PathBinding> bindings;
  size_t binding_index = 0;
};

TEST_F(RouteTableTest, RoutesRequestsToMethodsWithBindings) {
  const std::vector<LookupCase> cases = {
      {"GET", "/events/evt-1", "switchboard.ticket.v1.TicketService.GetEvent", {{"id", "evt-1"}}},
      {"GET", "/events", "switchboard.ticket.v1.TicketService.ListEvents", {}},
      {"POST",
       "/events/evt-1/bookings",
       "switchboard.booking.v1.BookingService.CreateBooking",
       {{"event_id", "evt-1"}}},
      {"GET", "/stocks/ACME", "switchboard.stock.v1.StockService.GetPrice", {{"symbol", "ACME"}}},
      {"GET",
       "/stocks/ACME/watch",
       "switchboard.stock.v1.StockService.WatchStockPrice",
       {{"symbol", "ACME"}}},
      {"POST", "/stocks:publish", "switchboard.stock.v1.StockService.PublishPrices", {}},
      {"POST",
       "/bookings/b1:cancel",
       "switchboard.booking.v1.BookingService.CancelBooking",
       {{"id", "b1"}}},
      {"GET", "/bookings/b1", "switchboard.booking.v1.BookingService.GetBooking", {{"id", "b1"}}},
      {"GET", "/users/u1", "switchboard.user.v1.UserService.GetUser", {{"id", "u1"}}},
      {"GET",
       "/users/u1/bookings",
       "switchboard.booking.v1.BookingService.ListBookings",
       {{"user_id", "u1"}}},
      {"GET",
       "/users/u1/notifications",
       "switchboard.notification.v1.NotificationService.Subscribe",
       {{"user_id", "u1"}}},
      {"POST",
       "/users/u1/notifications",
       "switchboard.notification.v1.NotificationService.Notify",
       {{"user_id", "u1"}}},
      {"GET", "/chat/lobby", "switchboard.chat.v1.ChatService.Chat", {{"room", "lobby"}}},
      // Literals beat wildcards, whatever the declaration order.
      {"GET", "/files/special/x", "sbtest.v1.TestService.Special", {{"s", "x"}}},
      {"GET", "/files/a/b", "sbtest.v1.TestService.Files", {{"s", "a/b"}}},
      {"GET", "/files/special", "sbtest.v1.TestService.Files", {{"s", "special"}}},
      // A route for the very method beats a "*" one; "*" takes the rest.
      {"GET", "/v1/any/x", "sbtest.v1.TestService.AnyGet", {{"s", "x"}}},
      {"DELETE", "/v1/any/x", "sbtest.v1.TestService.AnyMethod", {{"s", "x"}}},
      {"WATCH", "/v1/watch/x", "sbtest.v1.TestService.Watch", {{"s", "x"}}},
      // A verb beats the same template without one.
      {"POST", "/v1/items/x:publish", "sbtest.v1.TestService.Publish", {{"s", "x"}}},
      {"POST", "/v1/items/x", "sbtest.v1.TestService.ItemsPost", {{"s", "x"}}},
      {"PATCH", "/v1/items/x", "sbtest.v1.TestService.Patch", {{"s", "x"}}},
      {"GET", "/v1/shelves/1/books/2", "sbtest.v1.TestService.Get", {{"s", "shelves/1/books/2"}}},
      {"GET", "/v1/things/n1", "sbtest.v1.TestService.Get", {{"inner.name", "n1"}}, 1},
  };
  for (const auto& c : cases) {
    auto match = table_->Lookup(c.http_method, c.path);
    ASSERT_TRUE(match.ok()) << c.http_method << " " << c.path << ": " << match.status();
    EXPECT_EQ(match->route->method->full_name(), c.grpc_method) << c.http_method << " " << c.path;
    EXPECT_EQ(match->bindings, c.bindings) << c.http_method << " " << c.path;
    EXPECT_EQ(match->route->binding_index, c.binding_index) << c.path;
  }
}

TEST_F(RouteTableTest, RecordsRouteDetails) {
  auto get = table_->Lookup("GET", "/events/evt-1");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->route->grpc_path, "/switchboard.ticket.v1.TicketService/GetEvent");
  EXPECT_EQ(get->route->http_method, "GET");
  EXPECT_EQ(get->route->body, "");
  EXPECT_FALSE(get->route->client_streaming);
  EXPECT_FALSE(get->route->server_streaming);

  auto create = table_->Lookup("POST", "/events/e/bookings");
  ASSERT_TRUE(create.ok());
  EXPECT_EQ(create->route->body, "*");
  EXPECT_EQ(create->route->body_field, nullptr);

  auto watch = table_->Lookup("GET", "/stocks/ACME/watch");
  ASSERT_TRUE(watch.ok());
  EXPECT_TRUE(watch->route->server_streaming);
  EXPECT_FALSE(watch->route->client_streaming);

  auto publish = table_->Lookup("POST", "/stocks:publish");
  ASSERT_TRUE(publish.ok());
  EXPECT_TRUE(publish->route->client_streaming);
  EXPECT_FALSE(publish->route->server_streaming);

  auto chat = table_->Lookup("GET", "/chat/r");
  ASSERT_TRUE(chat.ok());
  EXPECT_TRUE(chat->route->client_streaming);
  EXPECT_TRUE(chat->route->server_streaming);

  auto patch = table_->Lookup("PATCH", "/v1/items/x");
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(patch->route->body, "inner");
  ASSERT_NE(patch->route->body_field, nullptr);
  EXPECT_EQ(patch->route->body_field->name(), "inner");
  EXPECT_EQ(patch->route->response_body, "inner");
  ASSERT_NE(patch->route->response_body_field, nullptr);

  auto things = table_->Lookup("GET", "/v1/things/n");
  ASSERT_TRUE(things.ok());
  ASSERT_EQ(things->route->variable_fields.size(), 1u);
  ASSERT_EQ(things->route->variable_fields[0].size(), 2u);
  EXPECT_EQ(things->route->variable_fields[0][1]->full_name(), "sbtest.v1.Inner.name");
}

TEST_F(RouteTableTest, TellsNotFoundFromMethodNotAllowed) {
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/nope"},
                                                        {"GET", "/events/evt-1/extra"},
                                                        {"GET", "/events/"},
                                                        {"POST", "/stocks:unpublish"},
                                                        {"GET", "/"}}) {
    auto match = table_->Lookup(method, path);
    ASSERT_FALSE(match.ok()) << method << " " << path;
    EXPECT_EQ(match.status().code(), absl::StatusCode::kNotFound) << path;
    EXPECT_EQ(HttpStatusFromStatus(match.status()), 404);
    EXPECT_NE(match.status().message().find(path), std::string::npos);
  }

  auto wrong = table_->Lookup("DELETE", "/events/evt-1");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(HttpStatusFromStatus(wrong.status()), 405);
  EXPECT_NE(wrong.status().message().find("allowed: GET"), std::string::npos)
      << wrong.status().message();
  EXPECT_EQ(table_->AllowedMethods("/events/evt-1"), (std::vector<std::string>{"GET", "HEAD"}));

  auto put = table_->Lookup("PUT", "/users/u1/notifications");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(HttpStatusFromStatus(put.status()), 405);
  EXPECT_EQ(table_->AllowedMethods("/users/u1/notifications"),
            (std::vector<std::string>{"GET", "POST"}));
  // The verb route and GET /bookings/{id} (id "b1:cancel") both match.
  EXPECT_EQ(table_->AllowedMethods("/bookings/b1:cancel"),
            (std::vector<std::string>{"GET", "HEAD", "POST"}));
  EXPECT_TRUE(table_->AllowedMethods("/nope").empty());
}

TEST_F(RouteTableTest, HeadFindsTheGetRouteOfAUnaryMethodOnly) {
  auto get = table_->Lookup("GET", "/events/evt-1");
  auto head = table_->Lookup("HEAD", "/events/evt-1");
  ASSERT_TRUE(get.ok() && head.ok()) << head.status();
  EXPECT_EQ(head->route, get->route);
  EXPECT_EQ(head->bindings, get->bindings);
  // A stream's answer has no length to describe: HEAD is not allowed there.
  auto watch = table_->Lookup("HEAD", "/stocks/ACME/watch");
  ASSERT_FALSE(watch.ok());
  EXPECT_EQ(HttpStatusFromStatus(watch.status()), 405);
  EXPECT_EQ(table_->AllowedMethods("/stocks/ACME/watch"), std::vector<std::string>{"GET"});
  EXPECT_FALSE(table_->Lookup("HEAD", "/stocks:publish").ok());
}

TEST_F(RouteTableTest, RejectsMalformedAndOversizedPaths) {
  auto bad = table_->Lookup("GET", "/events/%zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(HttpStatusFromStatus(bad.status()), 400);
  auto relative = table_->Lookup("GET", "events");
  EXPECT_EQ(HttpStatusFromStatus(relative.status()), 400);
  auto long_path =
      table_->Lookup("GET", "/events/" + std::string(table_->limits().max_path_bytes, 'x'));
  ASSERT_FALSE(long_path.ok());
  EXPECT_EQ(HttpStatusFromStatus(long_path.status()), 414);
  std::string many = "";
  for (size_t i = 0; i <= table_->limits().max_path_segments; ++i) many += "/a";
  EXPECT_EQ(HttpStatusFromStatus(table_->Lookup("GET", many).status()), 400);
}

TEST_F(RouteTableTest, ReadsTheRuleFromAnyPool) {
  const auto* get_event = pool_->FindMethodByName("switchboard.ticket.v1.TicketService.GetEvent");
  ASSERT_NE(get_event, nullptr);
  auto rule = HttpRuleOf(*get_event);
  ASSERT_TRUE(rule.has_value());
  EXPECT_EQ(rule->get(), "/events/{id}");
  const auto* reserve = pool_->FindMethodByName("switchboard.ticket.v1.TicketService.ReserveSeats");
  ASSERT_NE(reserve, nullptr);
  EXPECT_FALSE(HttpRuleOf(*reserve).has_value());
  // Methods without a rule have no route, and a service without any has none at all.
  for (const Route& route : table_->routes()) {
    EXPECT_NE(route.method->name(), "ReserveSeats");
    EXPECT_NE(route.method->service()->name(), "PaymentService");
    EXPECT_NE(route.method->name(), "Nothing");
  }
}

struct BadRuleCase {
  std::string name;
  std::string methods;  // MethodDescriptorProto entries in text format
  std::string expected;
};

std::string Method(const std::string& name, const std::string& rule) {
  return "method { name: \"" + name +
         "\" input_type: \".sbtest.v1.Everything\" output_type: \".sbtest.v1.Everything\" "
         "options { [google.api.http] { " +
         rule + " } } }";
}

TEST(RouteTableBuild, RejectsBadRulesNamingTheMethod) {
  const std::vector<BadRuleCase> cases = {
      {"template", Method("M", "get: \"/v1/{s\""), "unclosed '{'"},
      {"unknown field", Method("M", "get: \"/v1/{nope}\""),
       "sbtest.v1.Everything has no field nope"},
      {"repeated", Method("M", "get: \"/v1/{tags}\""), "field tags is repeated"},
      {"map", Method("M", "get: \"/v1/{counts}\""), "field counts is repeated"},
      {"message", Method("M", "get: \"/v1/{inner}\""), "field inner is a message"},
      {"through scalar", Method("M", "get: \"/v1/{s.x}\""), "field s is not a message"},
      {"through repeated", Method("M", "get: \"/v1/{inners.name}\""), "field inners is repeated"},
      {"body", Method("M", "post: \"/v1/x\" body: \"nope\""), "body \"nope\""},
      {"response_body", Method("M", "get: \"/v1/x\" response_body: \"nope\""),
       "response_body \"nope\""},
      {"nested bindings",
       Method("M",
              "get: \"/v1/x\" additional_bindings { get: \"/v1/y\" additional_bindings { "
              "get: \"/v1/z\" } }"),
       "may not nest"},
      {"bad additional binding",
       Method("M", "get: \"/v1/x\" additional_bindings { get: \"/v1/{nope}\" }"),
       "additional_bindings #1"},
      {"no pattern", Method("M", "body: \"*\""), "no pattern"},
      {"custom without kind", Method("M", "custom { path: \"/v1/x\" }"), "without a kind"},
      {"path and body", Method("M", "post: \"/v1/{s}\" body: \"s\""),
       "bound by both the path and the body"},
      {"duplicate", Method("A", "get: \"/v1/dup/{s}\"") + Method("B", "get: \"/v1/dup/{i32}\""),
       "two routes for GET /v1/dup/*"},
  };
  for (const auto& c : cases) {
    auto pool = testing::NewTestPool();
    const auto added =
        testing::AddTestService(pool.get(), "sbtest/v1/bad.proto", "name: \"Bad\" " + c.methods);
    ASSERT_TRUE(added.ok()) << c.name << ": " << added;
    auto table = RouteTable::Build(*pool, {"sbtest.v1.Bad"});
    ASSERT_FALSE(table.ok()) << c.name;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(table.status().message().find(c.expected), std::string::npos)
        << c.name << ": " << table.status().message();
    EXPECT_NE(table.status().message().find("sbtest.v1.Bad."), std::string::npos)
        << c.name << ": " << table.status().message();
  }
}

TEST(RouteTableBuild, RejectsUnknownServices) {
  auto pool = testing::NewTestPool();
  auto table = RouteTable::Build(*pool, {"switchboard.nope.v1.Nope"});
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("switchboard.nope.v1.Nope"), std::string::npos);
}

TEST(RouteTableBuild, AcceptsScalarEnumBoolAndWellKnownPathVariables) {
  auto pool = testing::NewTestPool();
  ASSERT_TRUE(testing::AddTestService(
                  pool.get(), "sbtest/v1/ok.proto",
                  "name: \"Ok\" " + Method("A", "get: \"/v1/{i64}/{color}/{b}/{ts}/{wrapped}\""))
                  .ok());
  auto table = RouteTable::Build(*pool, {"sbtest.v1.Ok"});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->routes().size(), 1u);
}

}  // namespace
}  // namespace switchboard::gateway::rest
