#include "openapi.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "test_descriptors.h"

namespace switchboard::gateway::rest {
namespace {

using google::protobuf::Value;

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::NewTestPool();
    ASSERT_TRUE(
        testing::AddTestService(pool_.get(), "sbtest/v1/service.proto", testing::kTestServiceText)
            .ok());
    auto table = RouteTable::Build(
        *pool_, {"switchboard.ticket.v1.TicketService", "switchboard.booking.v1.BookingService",
                 "switchboard.stock.v1.StockService", "switchboard.user.v1.UserService",
                 "switchboard.upload.v1.UploadService", "switchboard.chat.v1.ChatService",
                 "sbtest.v1.TestService"});
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = std::make_unique<RouteTable>(*std::move(table));
    OpenApiOptions options;
    options.title = "Switchboard \"REST\"";
    options.server_urls = {"http://127.0.0.1:8080"};
    text_ = GenerateOpenApi(*table_, options);
    const auto status = google::protobuf::util::JsonStringToMessage(text_, &doc_);
    ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << text_;
  }

  // The value at `path` (object keys, or array indexes as decimal strings), or nullptr.
  const Value* At(std::initializer_list<std::string> path) const {
    const Value* current = &doc_;
    for (const std::string& key : path) {
      if (current->has_struct_value()) {
        const auto& fields = current->struct_value().fields();
        auto it = fields.find(key);
        if (it == fields.end()) return nullptr;
        current = &it->second;
      } else if (current->has_list_value()) {
        const size_t index = std::stoul(key);
        if (index >= static_cast<size_t>(current->list_value().values_size())) return nullptr;
        current = &current->list_value().values(static_cast<int>(index));
      } else {
        return nullptr;
      }
    }
    return current;
  }
  std::string StringAt(std::initializer_list<std::string> path) const {
    const Value* value = At(path);
    return value ? value->string_value() : "<missing>";
  }
  // The names of the parameters of one operation, in order.
  std::vector<std::string> ParameterNames(const std::string& path, const std::string& method) {
    std::vector<std::string> names;
    const Value* parameters = At({"paths", path, method, "parameters"});
    if (parameters == nullptr) return names;
    for (const auto& parameter : parameters->list_value().values()) {
      names.push_back(parameter.struct_value().fields().at("name").string_value() + "@" +
                      parameter.struct_value().fields().at("in").string_value());
    }
    return names;
  }

  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::unique_ptr<RouteTable> table_;
  std::string text_;
  Value doc_;
};

TEST_F(OpenApiTest, IsAnOpenApi3DocumentWithTheContractPaths) {
  EXPECT_EQ(StringAt({"openapi"}), "3.0.3");
  EXPECT_EQ(StringAt({"info", "title"}), "Switchboard \"REST\"");
  EXPECT_EQ(StringAt({"servers", "0", "url"}), "http://127.0.0.1:8080");
  EXPECT_NE(At({"paths", "/events/{id}", "get"}), nullptr);
  EXPECT_NE(At({"paths", "/events", "get"}), nullptr);
  EXPECT_NE(At({"paths", "/events/{event_id}/bookings", "post"}), nullptr);
  EXPECT_NE(At({"paths", "/bookings/{id}:cancel", "post"}), nullptr);
  EXPECT_NE(At({"paths", "/stocks/{symbol}", "get"}), nullptr);
  EXPECT_NE(At({"paths", "/stocks:publish", "post"}), nullptr);
  EXPECT_NE(At({"paths", "/users/{id}", "get"}), nullptr);
  EXPECT_EQ(At({"paths", "/events/{id}", "post"}), nullptr);
  EXPECT_EQ(StringAt({"paths", "/events/{id}", "get", "operationId"}),
            "switchboard.ticket.v1.TicketService.GetEvent");
  EXPECT_EQ(StringAt({"paths", "/events/{id}", "get", "tags", "0"}),
            "switchboard.ticket.v1.TicketService");
}

TEST_F(OpenApiTest, DescribesParameters) {
  EXPECT_EQ(ParameterNames("/events/{id}", "get"), std::vector<std::string>{"id@path"});
  EXPECT_EQ(ParameterNames("/events", "get"),
            (std::vector<std::string>{"pageSize@query", "pageToken@query"}));
  EXPECT_EQ(StringAt({"paths", "/events", "get", "parameters", "0", "schema", "format"}), "int32");
  // body "*": no query parameters; the body leaves out what the path binds.
  EXPECT_EQ(ParameterNames("/events/{event_id}/bookings", "post"),
            std::vector<std::string>{"event_id@path"});
  const Value* body = At({"paths", "/events/{event_id}/bookings", "post", "requestBody", "content",
                          "application/json", "schema", "properties"});
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->struct_value().fields().count("eventId"), 0u);
  EXPECT_EQ(body->struct_value().fields().count("userId"), 1u);
  EXPECT_EQ(body->struct_value().fields().count("seats"), 1u);
  // Nested and multi-segment variables, nested query parameters, the body field left out.
  const auto things = ParameterNames("/v1/things/{inner.name}", "get");
  ASSERT_FALSE(things.empty());
  EXPECT_EQ(things[0], "inner.name@path");
  EXPECT_NE(std::find(things.begin(), things.end(), "inner.count@query"), things.end());
  // A recursive message is expanded once: Inner.child (an Inner again) is left out.
  EXPECT_EQ(std::find(things.begin(), things.end(), "inner.child.name@query"), things.end());
  EXPECT_NE(std::find(things.begin(), things.end(), "label@query"), things.end());
  EXPECT_EQ(std::find(things.begin(), things.end(), "inner.name@query"), things.end());
  EXPECT_EQ(std::find(things.begin(), things.end(), "counts@query"), things.end());
  EXPECT_NE(At({"paths", "/v1/{s}", "get"}), nullptr);
  EXPECT_NE(At({"paths", "/files/{s}", "get"}), nullptr);
  const auto patch = ParameterNames("/v1/items/{s}", "patch");
  EXPECT_EQ(std::find(patch.begin(), patch.end(), "inner.name@query"), patch.end());
  EXPECT_NE(At({"paths", "/v1/items/{s}", "patch", "requestBody"}), nullptr);
}

TEST_F(OpenApiTest, MapsSchemasByTheProto3JsonMapping) {
  const std::string event = "switchboard.ticket.v1.Event";
  EXPECT_EQ(StringAt({"components", "schemas", event, "properties", "startsAt", "type"}), "string");
  EXPECT_EQ(StringAt({"components", "schemas", event, "properties", "startsAt", "format"}),
            "date-time");
  EXPECT_EQ(StringAt({"components", "schemas", event, "properties", "price", "type"}), "string");
  EXPECT_EQ(StringAt({"components", "schemas", event, "properties", "price", "format"}), "int64");
  EXPECT_EQ(StringAt({"components", "schemas", event, "properties", "capacity", "type"}),
            "integer");
  EXPECT_EQ(StringAt({"paths", "/events/{id}", "get", "responses", "200", "content",
                      "application/json", "schema", "$ref"}),
            "#/components/schemas/" + event);
  EXPECT_EQ(StringAt({"components", "schemas", "switchboard.ticket.v1.ListEventsResponse",
                      "properties", "events", "items", "$ref"}),
            "#/components/schemas/" + event);

  const std::string everything = "sbtest.v1.Everything";
  auto prop = [&](const std::string& field, const std::string& key) {
    return StringAt({"components", "schemas", everything, "properties", field, key});
  };
  EXPECT_EQ(prop("by", "format"), "byte");
  EXPECT_EQ(prop("u64", "type"), "string");
  EXPECT_EQ(prop("f", "format"), "float");
  EXPECT_EQ(prop("b", "type"), "boolean");
  EXPECT_EQ(prop("color", "$ref"), "#/components/schemas/sbtest.v1.Color");
  EXPECT_EQ(prop("tags", "type"), "array");
  EXPECT_EQ(prop("counts", "type"), "object");
  EXPECT_EQ(StringAt({"components", "schemas", everything, "properties", "counts",
                      "additionalProperties", "format"}),
            "int32");
  EXPECT_EQ(prop("dur", "type"), "string");
  EXPECT_EQ(prop("wrapped", "type"), "integer");
  EXPECT_TRUE(
      At({"components", "schemas", everything, "properties", "wrapped", "nullable"})->bool_value());
  EXPECT_EQ(prop("label", "type"), "string");  // the field's json_name
  EXPECT_EQ(StringAt({"components", "schemas", "sbtest.v1.Color", "enum", "1"}), "COLOR_RED");
  // Recursive messages are referenced, not expanded.
  EXPECT_EQ(StringAt({"components", "schemas", "sbtest.v1.Inner", "properties", "child", "$ref"}),
            "#/components/schemas/sbtest.v1.Inner");
  EXPECT_EQ(StringAt({"components", "schemas", "google.rpc.Status", "properties", "code", "type"}),
            "integer");
}

TEST_F(OpenApiTest, DescribesStreamsAndResponseBodies) {
  EXPECT_NE(At({"paths", "/stocks/{symbol}/watch", "get", "responses", "200", "content",
                "text/event-stream"}),
            nullptr);
  EXPECT_NE(At({"paths", "/stocks/{symbol}/watch", "get", "responses", "200", "content",
                "application/x-ndjson"}),
            nullptr);
  EXPECT_NE(
      At({"paths", "/stocks:publish", "post", "requestBody", "content", "application/x-ndjson"}),
      nullptr);
  // A raw body for a message with one bytes field (curl -T), its other fields in the query.
  for (const char* verb : {"post", "put"}) {
    EXPECT_EQ(StringAt({"paths", "/uploads", verb, "requestBody", "content",
                        "application/octet-stream", "schema", "format"}),
              "binary")
        << verb;
    std::vector<std::string> query;
    for (int i = 0; At({"paths", "/uploads", verb, "parameters", std::to_string(i)}) != nullptr;
         ++i) {
      EXPECT_EQ(StringAt({"paths", "/uploads", verb, "parameters", std::to_string(i), "in"}),
                "query");
      query.push_back(
          StringAt({"paths", "/uploads", verb, "parameters", std::to_string(i), "name"}));
    }
    EXPECT_NE(std::find(query.begin(), query.end(), "fileName"), query.end()) << verb;
    EXPECT_EQ(std::find(query.begin(), query.end(), "data"), query.end()) << verb;
  }
  // A download (response_body names a bytes field) is the bytes, with Range.
  EXPECT_EQ(StringAt({"paths", "/uploads/{file_id}", "get", "responses", "200", "content",
                      "application/octet-stream", "schema", "format"}),
            "binary");
  EXPECT_EQ(At({"paths", "/uploads/{file_id}", "get", "responses", "200", "content",
                "application/x-ndjson"}),
            nullptr);
  EXPECT_NE(At({"paths", "/uploads/{file_id}", "get", "responses", "206"}), nullptr);
  EXPECT_NE(At({"paths", "/uploads/{file_id}", "get", "responses", "416"}), nullptr);
  // /stocks:publish streams PriceUpdate messages, which have no bytes field: NDJSON only.
  EXPECT_EQ(At({"paths", "/stocks:publish", "post", "requestBody", "content",
                "application/octet-stream"}),
            nullptr);
  EXPECT_EQ(StringAt({"paths", "/v1/tags", "post", "responses", "200", "content",
                      "application/json", "schema", "type"}),
            "array");
  EXPECT_EQ(StringAt({"paths", "/v1/tags", "post", "requestBody", "content", "application/json",
                      "schema", "items", "type"}),
            "string");
  EXPECT_EQ(StringAt({"paths", "/events/{id}", "get", "responses", "default", "content",
                      "application/json", "schema", "$ref"}),
            "#/components/schemas/google.rpc.Status");
}

TEST_F(OpenApiTest, DescribesWebSocketStreams) {
  // GET /chat/{room} is a WebSocket only: no query (the frames carry the messages), a 101.
  EXPECT_EQ(ParameterNames("/chat/{room}", "get"), std::vector<std::string>{"room@path"});
  EXPECT_NE(At({"paths", "/chat/{room}", "get", "responses", "101"}), nullptr);
  EXPECT_EQ(At({"paths", "/chat/{room}", "get", "responses", "200"}), nullptr);
  EXPECT_NE(StringAt({"paths", "/chat/{room}", "get", "description"}).find("A WebSocket"),
            std::string::npos);
  // A client stream declared for POST takes the upgrade at the same path too.
  EXPECT_NE(StringAt({"paths", "/stocks:publish", "post", "description"}).find("Also a WebSocket"),
            std::string::npos);
  EXPECT_EQ(StringAt({"paths", "/events/{id}", "get", "description"}).find("WebSocket"),
            std::string::npos);
}

TEST_F(OpenApiTest, LeavesOutWhatOpenApiCannotSayAndIsDeterministic) {
  EXPECT_EQ(At({"paths", "/v1/watch/{s}"}), nullptr);  // custom method WATCH
  const Value* any = At({"paths", "/v1/any/{s}"});     // "*" left out, GET kept
  ASSERT_NE(any, nullptr);
  EXPECT_EQ(any->struct_value().fields().size(), 1u);
  EXPECT_EQ(GenerateOpenApi(*table_, {}), GenerateOpenApi(*table_, {}));
}

TEST(OpenApi, NamesUnnamedWildcards) {
  auto pool = testing::NewTestPool();
  ASSERT_TRUE(testing::AddTestService(pool.get(), "sbtest/v1/wild.proto", R"pb(
                name: "Wild"
                method {
                  name: "A"
                  input_type: ".sbtest.v1.Everything"
                  output_type: ".sbtest.v1.Everything"
                  options {
                    [google.api.http] { get: "/v1/*/x/{s}/**" }
                  }
                }
              )pb")
                  .ok());
  auto table = RouteTable::Build(*pool, {"sbtest.v1.Wild"});
  ASSERT_TRUE(table.ok()) << table.status();
  const std::string text = GenerateOpenApi(*table);
  EXPECT_NE(text.find("\"/v1/{_segment0}/x/{s}/{_segment1}\""), std::string::npos) << text;
  google::protobuf::Value doc;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &doc).ok());
}

}  // namespace
}  // namespace switchboard::gateway::rest
