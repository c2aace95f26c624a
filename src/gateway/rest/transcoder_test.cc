#include "transcoder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "errors.h"
#include "field_values.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "switchboard/booking/v1/booking.pb.h"
#include "switchboard/stock/v1/stock.pb.h"
#include "switchboard/ticket/v1/ticket.pb.h"
#include "test_descriptors.h"

namespace switchboard::gateway::rest {
namespace {

using google::protobuf::Message;

// Expects two JSON texts to hold the same value, whatever the member order.
void ExpectSameJson(const std::string& actual, const std::string& expected) {
  google::protobuf::Value a, e;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(actual, &a).ok()) << actual;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(expected, &e).ok()) << expected;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a, e))
      << "actual:   " << actual << "\nexpected: " << expected;
}

class TranscoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::NewTestPool();
    ASSERT_TRUE(
        testing::AddTestService(pool_.get(), "sbtest/v1/service.proto", testing::kTestServiceText)
            .ok());
    auto table = RouteTable::Build(
        *pool_, {"switchboard.ticket.v1.TicketService", "switchboard.booking.v1.BookingService",
                 "switchboard.stock.v1.StockService", "sbtest.v1.TestService"});
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = std::make_unique<RouteTable>(*std::move(table));
    transcoder_ = std::make_unique<Transcoder>(pool_.get());
  }

  const RouteMatch Match(const std::string& method, std::string_view path) {
    auto match = table_->Lookup(method, path);
    EXPECT_TRUE(match.ok()) << method << " " << path << ": " << match.status();
    return match.ok() ? *match : RouteMatch{};
  }

  // Builds the request for `method target` with `body`, through `transcoder` (default: the
  // fixture's).
  absl::StatusOr<std::unique_ptr<Message>> Request(const std::string& method,
                                                   std::string_view target,
                                                   std::string_view body = {},
                                                   const Transcoder* transcoder = nullptr) {
    auto [path, query] = SplitRequestTarget(target);
    auto match = table_->Lookup(method, path);
    if (!match.ok()) return match.status();
    if (transcoder == nullptr) transcoder = transcoder_.get();
    return transcoder->BuildRequest(*match->route, match->bindings, query, body);
  }

  // Expects the request to build and to equal `expected` (text format of its type).
  void ExpectRequest(const std::string& method, std::string_view target, std::string_view body,
                     const std::string& expected) {
    auto request = Request(method, target, body);
    ASSERT_TRUE(request.ok()) << method << " " << target << " " << body << ": " << request.status();
    std::unique_ptr<Message> want((*request)->New());
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(expected, want.get())) << expected;
    google::protobuf::util::DefaultFieldComparator comparator;
    comparator.set_treat_nan_as_equal(true);
    google::protobuf::util::MessageDifferencer differencer;
    differencer.set_field_comparator(&comparator);
    EXPECT_TRUE(differencer.Compare(**request, *want))
        << method << " " << target << " " << body << "\n got: " << (*request)->ShortDebugString()
        << "\nwant: " << want->ShortDebugString();
  }

  // Expects INVALID_ARGUMENT (unless `code` says otherwise) with every `needles` in the message.
  void ExpectError(const std::string& method, std::string_view target, std::string_view body,
                   std::vector<std::string> needles,
                   absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    auto request = Request(method, target, body);
    ASSERT_FALSE(request.ok()) << method << " " << target << " " << body << " built "
                               << (*request)->ShortDebugString();
    EXPECT_EQ(request.status().code(), code) << request.status();
    for (const auto& needle : needles) {
      EXPECT_NE(request.status().message().find(needle), std::string::npos)
          << method << " " << target << " " << body << ": '" << needle << "' not in "
          << request.status().message();
    }
  }

  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::unique_ptr<RouteTable> table_;
  std::unique_ptr<Transcoder> transcoder_;
};

TEST_F(TranscoderTest, BuildsContractRequests) {
  ExpectRequest("GET", "/events/evt-1", "", R"(id: "evt-1")");
  ExpectRequest("GET", "/events?pageSize=5&pageToken=x", "", R"(page_size: 5 page_token: "x")");
  ExpectRequest("GET", "/events?page_size=5&page_token=x%20y", "",
                R"(page_size: 5 page_token: "x y")");
  ExpectRequest("GET", "/events", "", "");
  ExpectRequest("GET", "/events?", "", "");
  ExpectRequest("POST", "/events/evt-1/bookings", R"({"userId":"u1","seats":2})",
                R"(event_id: "evt-1" user_id: "u1" seats: 2)");
  ExpectRequest("POST", "/events/evt-1/bookings", R"( {"user_id": "u1", "seats": "2"} )",
                R"(event_id: "evt-1" user_id: "u1" seats: 2)");
  ExpectRequest("GET", "/stocks/ACME", "", R"(symbol: "ACME")");
  ExpectRequest("POST", "/bookings/b1:cancel", "", R"(id: "b1")");
  ExpectRequest("POST", "/bookings/b1:cancel", "{}", R"(id: "b1")");
  ExpectRequest("POST", "/stocks:publish", R"({"symbol":"ACME","price":1.5,"timestamp":"17"})",
                R"(symbol: "ACME" price: 1.5 timestamp: 17)");
}

TEST_F(TranscoderTest, ProducesTheBinaryTheServiceParses) {
  auto match = Match("POST", "/events/evt-1/bookings");
  auto binary = transcoder_->TranscodeRequest(*match.route, match.bindings, "",
                                              R"({"userId":"u1","seats":2})");
  ASSERT_TRUE(binary.ok()) << binary.status();
  switchboard::booking::v1::CreateBookingRequest request;
  ASSERT_TRUE(request.ParseFromString(*binary));
  EXPECT_EQ(request.event_id(), "evt-1");
  EXPECT_EQ(request.user_id(), "u1");
  EXPECT_EQ(request.seats(), 2);
}

TEST_F(TranscoderTest, RejectsBadBodiesNamingTheField) {
  const std::string create = "/events/evt-1/bookings";
  ExpectError("POST", create, R"({"userId":)", {"request body"});
  ExpectError("POST", create, R"({"userId":"u1"} trailing)", {"request body"});
  ExpectError("POST", create, "[1]", {"request body"});
  ExpectError("POST", create, R"({"seats":"two"})", {"seats"});
  ExpectError("POST", create, R"({"seats":1.5})", {"seats"});
  ExpectError("POST", create, R"({"seats":true})", {"seats"});
  ExpectError("POST", create, R"({"userId":7})", {"user_id"});
  ExpectError("POST", create, R"({"userid":"u1"})", {"userid"});
  ExpectError("POST", create, R"({"eventId":"evt-2","userId":"u1"})",
              {"event_id", "eventId", "URL path"});
  ExpectError("POST", create, R"({"event_id":"evt-1"})", {"event_id"});
  ExpectError("POST", create + "?seats=2", R"({"userId":"u1"})", {"seats", "body \"*\""});
  ExpectError("GET", "/events/evt-1", "{}", {"takes no request body"});
  // The parser's message as one clean line: no caret picture, no doubled colon.
  for (const std::string body : {R"({"userId":)", "[1]", R"({"userId":"u1"} trailing)"}) {
    auto request = Request("POST", create, body);
    ASSERT_FALSE(request.ok());
    const std::string message(request.status().message());
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.find(": :"), std::string::npos) << message;
    EXPECT_NE(message.find("CreateBookingRequest): "), std::string::npos) << message;
  }
  // Deep nesting fails cleanly, whichever parser meets it.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += R"({"userId":)";
  ExpectError("POST", create, deep, {"request body"});
  ExpectError("POST", "/v1/tags", std::string(100000, '['), {"request body", "nesting"});
}

TEST_F(TranscoderTest, RejectsBadQueryParametersNamingThem) {
  ExpectError("GET", "/events?pageSize=abc", "", {"pageSize", "\"abc\"", "int32"});
  ExpectError("GET", "/events?pageSize=99999999999", "", {"pageSize", "int32"});
  ExpectError("GET", "/events?pageSize=", "", {"pageSize"});
  ExpectError("GET", "/events?nope=1", "", {"nope", "ListEventsRequest"});
  ExpectError("GET", "/events?pageSize=1&pageSize=2", "", {"pageSize", "more than once"});
  ExpectError("GET", "/events/evt-1?id=x", "", {"id", "URL path"});
  ExpectError("GET", "/events?pageToken=%zz", "", {"pageToken", "percent-escape"});
  ExpectError("GET", "/events?%zz=1", "", {"percent-escape"});
  ExpectError("GET", "/events?pageToken=%FF", "", {"pageToken", "\"\\xff\"", "UTF-8"});
  ExpectError("GET", "/events?pageSize=" + std::string(1000, '9'), "",
              {"pageSize", std::string(kQuotedValueBytes, '9') + "\"..."});
}

TEST_F(TranscoderTest, ParsesQueryScalarsByTheJsonMapping) {
  ExpectRequest(
      "GET",
      "/v1/things/n1?i32=-5&i64=-9000000000&u32=7&u64=18446744073709551615&f=1.5&d=-2.25e3"
      "&b=true&by=aGVsbG8&color=COLOR_RED&colors=2&colors=COLOR_BLUE&tags=a&tags=b+c%2B"
      "&nums=1&nums=2&inner.count=3&ts=2024-01-02T03:04:05Z&dur=1.5s&wrapped=7&mask=a.b,c"
      "&oneA=x&label=dn&s=%E2%9C%93",
      "",
      R"(i32: -5 i64: -9000000000 u32: 7 u64: 18446744073709551615 f: 1.5 d: -2250 b: true
         by: "hello" color: COLOR_RED colors: COLOR_BLUE colors: COLOR_BLUE tags: "a"
         tags: "b c+" nums: 1 nums: 2 inner { name: "n1" count: 3 }
         ts { seconds: 1704164645 } dur { seconds: 1 nanos: 500000000 } wrapped { value: 7 }
         mask { paths: "a.b" paths: "c" } one_a: "x" display_name: "dn" s: "\342\234\223")");
  // Proto names work as well as JSON names; enums take numbers, including unknown ones (proto3
  // enums are open); bytes take URL-safe base64; doubles take the JSON special values.
  ExpectRequest(
      "GET", "/v1/things/n1?one_b=4&display_name=x&color=7&by=-_-_&d=NaN", "",
      R"(one_b: 4 display_name: "x" color: 7 by: "\373\377\277" d: nan inner { name: "n1" })");
  ExpectRequest("GET", "/v1/things/n1?d=-Infinity&b=false&u32=0", "",
                R"(d: -inf inner { name: "n1" })");
  // Parameters without a value, and empty pieces.
  ExpectRequest("GET", "/v1/things/n1?&s=&&tags", "", R"(tags: "" inner { name: "n1" })");
}

TEST_F(TranscoderTest, RejectsQueryValuesThatDoNotFit) {
  const std::string base = "/v1/things/n1?";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"i32=2147483648", {"i32", "int32"}},
      {"i32=1.0", {"i32", "int32"}},
      {"i32=+1", {"i32"}},
      {"i32=%201", {"i32"}},
      {"u32=-1", {"u32", "uint32"}},
      {"u64=18446744073709551616", {"u64"}},
      {"b=yes", {"b", "bool"}},
      {"b=1", {"b", "bool"}},
      {"by=!!!", {"by", "base64"}},
      {"color=COLOR_GREEN", {"color", "sbtest.v1.Color"}},
      {"f=1e39", {"f", "float"}},
      {"d=1e999", {"d", "double"}},
      {"d=inf", {"d", "double"}},
      {"ts=yesterday", {"ts", "Timestamp"}},
      {"dur=5", {"dur", "Duration"}},
      {"inner=x", {"inner", "message"}},
      {"counts=1", {"counts", "map"}},
      {"counts.a=1", {"counts"}},
      {"inners.name=x", {"inners", "repeated"}},
      {"s.x=1", {"s", "not a message"}},
      {"oneA=x&oneB=1", {"one_b", "one_a", "oneof choice"}},
      {"inner.name=x", {"inner.name", "URL path"}},
      {"displayName=x", {"displayName"}},  // the json_name is "label"
  };
  for (const auto& [query, needles] : cases) ExpectError("GET", base + query, "", needles);

  std::string deep = "inner";
  for (int i = 0; i < 16; ++i) deep += ".child";
  ExpectError("GET", base + deep + ".count=1", "", {"deeper than"});
}

TEST_F(TranscoderTest, MapsABodyFieldAndKeepsPathBindings) {
  ExpectRequest("PATCH", "/v1/items/x", R"({"name":"n","count":2})",
                R"(s: "x" inner { name: "n" count: 2 })");
  ExpectRequest("PATCH", "/v1/items/x?i32=1", "", R"(s: "x" i32: 1)");
  ExpectError("PATCH", "/v1/items/x?inner.count=1", R"({"name":"n"})",
              {"inner.count", "request body"});
  ExpectError("PATCH", "/v1/items/x", R"({"nope":1})", {"nope"});
  ExpectError("PATCH", "/v1/items/x", R"({"count":"x"})", {"count"});

  ExpectRequest("POST", "/v1/tags", R"(["a","b"])", R"(tags: "a" tags: "b")");
  ExpectRequest("POST", "/v1/tags", "[]", "");
  ExpectError("POST", "/v1/tags", R"([1, {}])", {"tags"});
  // A body that would close the wrapping object and set other fields is refused.
  ExpectError("POST", "/v1/tags", R"(["a"], "s": "evil")", {"request body", "tags", "malformed"});
  ExpectError("POST", "/v1/tags", R"(["a"]})", {"malformed"});

  // Nested path bindings merge with the body but may not be overridden by it.
  ExpectRequest("POST", "/v1/echo/n1", R"({"inner":{"count":2},"s":"x"})",
                R"(inner { name: "n1" count: 2 } s: "x")");
  ExpectError("POST", "/v1/echo/n1", R"({"inner":{"name":"x"}})", {"inner.name", "URL path"});
}

TEST_F(TranscoderTest, TypesPathVariables) {
  ExpectRequest("GET", "/v1/scalars/-12/COLOR_BLUE/true", "",
                R"(i64: -12 color: COLOR_BLUE b: true)");
  ExpectRequest("GET", "/v1/scalars/5/1/false", "", R"(i64: 5 color: COLOR_RED)");
  ExpectError("GET", "/v1/scalars/x/1/true", "", {"path variable {i64}", "int64"});
  ExpectError("GET", "/v1/scalars/1/1/maybe", "", {"path variable {b}", "bool"});
  ExpectError("GET", "/events/%FF", "", {"path variable {id}", "UTF-8"});
}

TEST_F(TranscoderTest, BoundsBodyAndQuery) {
  TranscoderOptions options;
  options.limits.max_body_bytes = 16;
  options.limits.max_query_params = 2;
  options.limits.max_query_bytes = 64;
  Transcoder small(pool_.get(), options);

  auto big = Request("POST", "/events/e/bookings", R"({"userId":"0123456789"})", &small);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(HttpStatusFromStatus(big.status()), 413);

  auto many = Request("GET", "/events?pageSize=1&pageToken=2&x=3", "", &small);
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.status().message().find("more than 2 query parameters"), std::string::npos);

  auto long_query = Request("GET", "/events?pageToken=" + std::string(64, 'x'), "", &small);
  ASSERT_FALSE(long_query.ok());
  EXPECT_EQ(HttpStatusFromStatus(long_query.status()), 414);

  EXPECT_TRUE(Request("GET", "/events?pageSize=1&pageToken=2", "", &small).ok());
}

TEST_F(TranscoderTest, SkipsIgnoredQueryParameters) {
  TranscoderOptions options;
  options.ignored_query_parameters = {"access_token"};
  Transcoder transcoder(pool_.get(), options);
  auto request =
      Request("POST", "/events/e/bookings?access_token=t", R"({"seats":1})", &transcoder);
  ASSERT_TRUE(request.ok()) << request.status();
}

TEST_F(TranscoderTest, RendersEventsWithTimestampsAndInt64AsStrings) {
  switchboard::ticket::v1::Event event;
  event.set_id("evt-1");
  event.set_name("Concert \"live\"");
  event.set_venue("Hall");
  event.mutable_starts_at()->set_seconds(1714591800);  // 2024-05-01T19:30:00Z
  event.set_capacity(100);
  event.set_price(4500);
  event.set_currency("EUR");
  auto match = Match("GET", "/events/evt-1");
  auto json = transcoder_->TranscodeResponse(*match.route, event.SerializeAsString());
  ASSERT_TRUE(json.ok()) << json.status();
  ExpectSameJson(*json, R"({"id":"evt-1","name":"Concert \"live\"","venue":"Hall",)"
                        R"("startsAt":"2024-05-01T19:30:00Z","capacity":100,"seatsAvailable":0,)"
                        R"("price":"4500","currency":"EUR"})");
  EXPECT_NE(json->find(R"("price":"4500")"), std::string::npos);  // int64 as a string

  auto list = Match("GET", "/events");
  auto empty = transcoder_->TranscodeResponse(*list.route, "");
  ASSERT_TRUE(empty.ok()) << empty.status();
  ExpectSameJson(*empty, R"({"events":[],"nextPageToken":""})");

  auto garbage = transcoder_->TranscodeResponse(*match.route, "\xff\xff\xff");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInternal);
}

TEST_F(TranscoderTest, RendersEnumsByName) {
  switchboard::booking::v1::Booking booking;
  booking.set_id("b1");
  booking.set_status(switchboard::booking::v1::Booking::STATUS_CONFIRMED);
  auto match = Match("GET", "/bookings/b1");
  auto json = transcoder_->TranscodeResponse(*match.route, booking.SerializeAsString());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find(R"("status":"STATUS_CONFIRMED")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("amount":"0")"), std::string::npos) << *json;
}

TEST_F(TranscoderTest, SelectsTheResponseBodyField) {
  // The test service's request and response type is sbtest.v1.Everything; build one through
  // the transcoder itself.
  auto echo = Match("POST", "/v1/items/x");
  auto binary = transcoder_->TranscodeRequest(
      *echo.route, echo.bindings, "",
      R"({"inner":{"name":"n","count":2},"tags":["a","b"],"i64":"123"})");
  ASSERT_TRUE(binary.ok()) << binary.status();

  auto patch = Match("PATCH", "/v1/items/x");
  auto inner = transcoder_->TranscodeResponse(*patch.route, *binary);
  ASSERT_TRUE(inner.ok()) << inner.status();
  ExpectSameJson(*inner, R"({"name":"n","count":2})");
  auto unset = transcoder_->TranscodeResponse(*patch.route, "");
  ASSERT_TRUE(unset.ok());
  ExpectSameJson(*unset, R"({"name":"","count":0})");

  auto tags = Match("POST", "/v1/tags");
  EXPECT_EQ(*transcoder_->TranscodeResponse(*tags.route, *binary), R"(["a","b"])");
  EXPECT_EQ(*transcoder_->TranscodeResponse(*tags.route, ""), "[]");

  auto scalars = Match("GET", "/v1/scalars/1/1/true");
  EXPECT_EQ(*transcoder_->TranscodeResponse(*scalars.route, *binary), R"("123")");
}

TEST_F(TranscoderTest, FormatsStreamMessagesAsNdjsonAndSse) {
  switchboard::stock::v1::PriceUpdate update;
  update.set_symbol("ACME");
  update.set_price(1.5);
  update.set_timestamp(1700000000000);
  auto watch = Match("GET", "/stocks/ACME/watch");
  const std::string json =
      R"({"symbol":"ACME","price":1.5,"timestamp":"1700000000000","droppedSinceLast":"0"})";
  auto line = transcoder_->ResponseToNdjsonLine(*watch.route, update.SerializeAsString());
  ASSERT_TRUE(line.ok()) << line.status();
  ASSERT_EQ(line->back(), '\n');
  EXPECT_EQ(line->find('\n'), line->size() - 1);
  ExpectSameJson(line->substr(0, line->size() - 1), json);
  auto event = transcoder_->ResponseToSseEvent(*watch.route, update.SerializeAsString());
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_EQ(event->rfind("data: ", 0), 0u);
  ASSERT_EQ(event->substr(event->size() - 2), "\n\n");
  ExpectSameJson(event->substr(6, event->size() - 8), json);

  EXPECT_EQ(FormatNdjsonLine("{}"), "{}\n");
  EXPECT_EQ(FormatSseEvent("{}"), "data: {}\n\n");
  EXPECT_EQ(FormatSseEvent("{\"code\":5}", "error"), "event: error\ndata: {\"code\":5}\n\n");
  EXPECT_EQ(FormatSseEvent("a\nb\r\nc"), "data: a\ndata: b\ndata: c\n\n");
  EXPECT_EQ(FormatSseEvent(""), "data: \n\n");
}

TEST_F(TranscoderTest, IsSafeToShareAcrossThreads) {
  auto create = Match("POST", "/events/evt-1/bookings");
  auto get = Match("GET", "/events/evt-1");
  switchboard::ticket::v1::Event event;
  event.set_id("evt-1");
  event.set_price(7);
  const std::string event_binary = event.SerializeAsString();
  constexpr int kThreads = 4;
  constexpr int kIterations = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        const std::string user = "u" + std::to_string(t * kIterations + i);
        auto binary = transcoder_->TranscodeRequest(*create.route, create.bindings, "",
                                                    R"({"userId":")" + user + R"(","seats":2})");
        switchboard::booking::v1::CreateBookingRequest request;
        if (!binary.ok() || !request.ParseFromString(*binary) || request.user_id() != user) {
          ++failures;
        }
        auto json = transcoder_->TranscodeResponse(*get.route, event_binary);
        if (!json.ok() || json->find(R"("price":"7")") == std::string::npos) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace switchboard::gateway::rest
