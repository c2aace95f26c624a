// RestStream (one REST call as a translation) driven through its hooks with the real
// contracts: the request it makes of the client's, and the answer it makes of the backend's.
#include "rest_stream.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "errors.h"
#include "gateway/codec/grpc_framing.h"
#include "gateway/codec/status_codes.h"
#include "switchboard/stock/v1/stock.pb.h"
#include "switchboard/ticket/v1/ticket.pb.h"
#include "switchboard/upload/v1/upload.pb.h"
#include "switchboard/user/v1/user.pb.h"
#include "test_descriptors.h"

namespace switchboard::gateway::rest {
namespace {

// Small limits, so that the tests pass them with small bodies.
constexpr size_t kMaxMessageBytes = 1024;
constexpr uint64_t kMaxBodyBytes = 4096;
// HTTP statuses errors.h has no name for.
constexpr int kHttpUnauthorized = 401;
constexpr int kHttpRequestTimeout = 408;
constexpr int kHttpUpgradeRequired = 426;
constexpr int kHttpServiceUnavailable = 503;
constexpr int kHttpGatewayTimeout = 504;
// Frames the tests decode may be larger than any limit under test.
constexpr size_t kDecodeLimitBytes = 1 << 20;

constexpr char kGetEventPath[] = "/switchboard.ticket.v1.TicketService/GetEvent";
constexpr char kCreateUserPath[] = "/switchboard.user.v1.UserService/CreateUser";
constexpr char kUploadFilePath[] = "/switchboard.upload.v1.UploadService/UploadFile";
constexpr char kWatchPath[] = "/switchboard.stock.v1.StockService/WatchStockPrice";

std::string Get(const Headers& headers, std::string_view name) {
  const std::string* value = FindHeader(headers, name);
  return value ? *value : "<absent>";
}

size_t Count(const Headers& headers, std::string_view name) {
  size_t count = 0;
  for (const auto& header : headers) count += EqualsIgnoreCase(header.first, name) ? 1 : 0;
  return count;
}

std::string Frame(const google::protobuf::Message& message) {
  std::string out;
  AppendFrame(0, message.SerializeAsString(), &out);
  return out;
}

std::vector<std::string> Payloads(const std::string& frames) {
  FrameDecoder decoder(kDecodeLimitBytes);
  decoder.Feed(frames);
  std::vector<std::string> payloads;
  GrpcFrame frame;
  while (decoder.Next(&frame)) payloads.push_back(frame.payload);
  EXPECT_TRUE(decoder.AtBoundary());
  return payloads;
}

Headers Request(const std::string& method, const std::string& target, Headers extra = {}) {
  Headers headers = {{":method", method}, {":path", target}, {":authority", "api.example:8080"}};
  for (auto& header : extra) headers.push_back(std::move(header));
  return headers;
}

const ResponseHead kGrpcHead = {200, {{"content-type", "application/grpc"}}};

bool IsEmpty(const DownstreamOutput& output) {
  return !output.head && output.body.empty() && !output.end_stream;
}

class RestStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::NewTestPool();
    auto table = RouteTable::Build(
        *pool_, {"switchboard.ticket.v1.TicketService", "switchboard.user.v1.UserService",
                 "switchboard.upload.v1.UploadService", "switchboard.stock.v1.StockService",
                 "switchboard.chat.v1.ChatService"});
    ASSERT_TRUE(table.ok()) << table.status();
    routes_ = std::make_unique<RouteTable>(*std::move(table));
    transcoder_ = std::make_unique<Transcoder>(pool_.get());
  }

  std::unique_ptr<RestStream> NewStream() {
    RestStreamOptions options;
    options.max_message_bytes = kMaxMessageBytes;
    options.max_body_bytes = kMaxBodyBytes;
    return std::make_unique<RestStream>(*routes_, *transcoder_, options);
  }

  // A stream whose request headers were accepted.
  std::unique_ptr<RestStream> Started(const Headers& request) {
    auto stream = NewStream();
    UpstreamRequest upstream;
    absl::Status status = stream->OnRequestHeaders(request, &upstream);
    EXPECT_TRUE(status.ok()) << status;
    return stream;
  }

  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<Transcoder> transcoder_;
};

// ---- request side -------------------------------------------------------------------------

TEST_F(RestStreamTest, MatchedRouteFillsTheUpstreamRequest) {
  auto stream = NewStream();
  UpstreamRequest upstream;
  ASSERT_TRUE(stream
                  ->OnRequestHeaders(Request("GET", "/events/e1?unused=1",
                                             {{"x-request-id", "r1"},
                                              {"authorization", "Bearer t"},
                                              {"user-agent", "curl/8"},
                                              {"cookie", "secret"},
                                              {"accept", "application/json"},
                                              {"grpc-timeout", "250m"}}),
                                     &upstream)
                  .ok());
  EXPECT_EQ(upstream.path, kGetEventPath);
  EXPECT_EQ(upstream.authority, "api.example:8080");
  const Headers expected = {{"x-request-id", "r1"},
                            {"authorization", "Bearer t"},
                            {"user-agent", "curl/8"},
                            {"grpc-timeout", "250m"}};
  EXPECT_EQ(upstream.headers, expected);
  EXPECT_TRUE(upstream.call_needs_whole_body);
  EXPECT_FALSE(upstream.body_is_stream);
  ASSERT_NE(stream->route(), nullptr);
  EXPECT_EQ(stream->route()->grpc_path, kGetEventPath);
}

TEST_F(RestStreamTest, AuthorityFallsBackToHost) {
  auto stream = NewStream();
  UpstreamRequest upstream;
  ASSERT_TRUE(
      stream
          ->OnRequestHeaders(
              {{":method", "GET"}, {":path", "/events/e1"}, {"host", "legacy.example"}}, &upstream)
          .ok());
  EXPECT_EQ(upstream.authority, "legacy.example");
}

TEST_F(RestStreamTest, ClientStreamingBodyKinds) {
  struct Case {
    std::string method;
    std::string content_type;
    bool streamed;
  } cases[] = {
      {"POST", "application/x-ndjson", true},
      {"PUT", "application/octet-stream", true},
      {"POST", "application/json", false},  // one JSON message, the whole body
  };
  for (const auto& c : cases) {
    auto stream = NewStream();
    UpstreamRequest upstream;
    ASSERT_TRUE(
        stream
            ->OnRequestHeaders(Request(c.method, "/uploads", {{"content-type", c.content_type}}),
                               &upstream)
            .ok())
        << c.content_type;
    EXPECT_EQ(upstream.path, kUploadFilePath);
    EXPECT_EQ(upstream.body_is_stream, c.streamed) << c.content_type;
    EXPECT_EQ(upstream.call_needs_whole_body, !c.streamed) << c.content_type;
  }
}

TEST_F(RestStreamTest, RouteRejectionsAnswerWithTheirStatusAndHeaders) {
  struct Case {
    std::string method;
    std::string target;
    Headers extra;
    int http_status;
    std::string header;  // expected in Fail's head, "" for none
    std::string header_value;
    std::string upstream_path;  // set on failure where the route is known
    bool body_is_stream;        // set before the body checks, so the codec reads no body
  } cases[] = {
      {"GET", "/nowhere", {}, kHttpNotFound, "", "", "", false},
      {"DELETE", "/events/e1", {}, kHttpMethodNotAllowed, "allow", "GET, HEAD", "", false},
      {"GET",
       "/chat/lobby",
       {},
       kHttpUpgradeRequired,
       "upgrade",
       "websocket",
       "/switchboard.chat.v1.ChatService/Chat",
       false},
      {"POST",
       "/stocks:publish",
       {{"content-type", "application/octet-stream"}},
       kHttpUnsupportedMediaType,
       "",
       "",
       "/switchboard.stock.v1.StockService/PublishPrices",
       true},
      {"POST",
       "/uploads",
       {{"content-type", "application/x-ndjson"}, {"content-length", "4097"}},
       kHttpPayloadTooLarge,
       "",
       "",
       kUploadFilePath,
       true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    auto stream = NewStream();
    UpstreamRequest upstream;
    absl::Status status = stream->OnRequestHeaders(Request(c.method, c.target, c.extra), &upstream);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(HttpStatusFromStatus(status), c.http_status) << status;
    EXPECT_EQ(upstream.path, c.upstream_path);
    EXPECT_EQ(upstream.body_is_stream, c.body_is_stream);
    DownstreamOutput output = stream->Fail(status, {});
    ASSERT_TRUE(output.head);
    EXPECT_EQ(output.head->status, c.http_status);
    EXPECT_EQ(Get(output.head->headers, "content-type"), "application/json");
    if (!c.header.empty()) EXPECT_EQ(Get(output.head->headers, c.header), c.header_value);
    EXPECT_NE(output.body.find("\"code\":" + std::to_string(static_cast<int>(status.code()))),
              std::string::npos)
        << output.body;
    EXPECT_TRUE(output.end_stream);
    // The call is over: no data is taken.
    std::string body;
    EXPECT_FALSE(stream->OnRequestData("{}", true, &body).ok());
    EXPECT_TRUE(body.empty());
  }
}

TEST_F(RestStreamTest, UnaryBodyInPiecesBecomesOneFrame) {
  const std::string json = R"({"email":"ada@example.com","displayName":"Ada"})";
  for (size_t piece : {size_t{1}, size_t{7}, json.size()}) {
    auto stream = Started(Request("POST", "/users", {{"content-type", "application/json"}}));
    std::string upstream_body;
    for (size_t i = 0; i < json.size(); i += piece) {
      ASSERT_TRUE(
          stream->OnRequestData(std::string_view(json).substr(i, piece), false, &upstream_body)
              .ok());
      EXPECT_TRUE(upstream_body.empty()) << "nothing before the body's end";
    }
    ASSERT_TRUE(stream->OnRequestData("", true, &upstream_body).ok());
    auto payloads = Payloads(upstream_body);
    ASSERT_EQ(payloads.size(), 1u) << piece;
    user::v1::CreateUserRequest request;
    ASSERT_TRUE(request.ParseFromString(payloads[0]));
    EXPECT_EQ(request.email(), "ada@example.com");
    EXPECT_EQ(request.display_name(), "Ada");
  }
  EXPECT_EQ(std::string(kCreateUserPath), routes_->Lookup("POST", "/users")->route->grpc_path);
}

TEST_F(RestStreamTest, UnaryBodyErrors) {
  {  // Past max_message_bytes, even in pieces: 413.
    auto stream = Started(Request("POST", "/users", {{"content-type", "application/json"}}));
    std::string upstream_body;
    const std::string half(kMaxMessageBytes / 2 + 1, ' ');
    ASSERT_TRUE(stream->OnRequestData(half, false, &upstream_body).ok());
    absl::Status status = stream->OnRequestData(half, false, &upstream_body);
    EXPECT_EQ(HttpStatusFromStatus(status), kHttpPayloadTooLarge) << status;
    EXPECT_TRUE(upstream_body.empty());
    DownstreamOutput output = stream->Fail(status, {});
    ASSERT_TRUE(output.head);
    EXPECT_EQ(output.head->status, kHttpPayloadTooLarge);
  }
  {  // JSON that is not a CreateUserRequest: 400 naming the field.
    auto stream = Started(Request("POST", "/users", {{"content-type", "application/json"}}));
    std::string upstream_body;
    absl::Status status = stream->OnRequestData(R"({"colour":"red"})", true, &upstream_body);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(HttpStatusFromStatus(status), kHttpBadRequest);
    EXPECT_NE(status.message().find("colour"), std::string::npos) << status;
    EXPECT_TRUE(upstream_body.empty());
    DownstreamOutput output = stream->Fail(status, {});
    ASSERT_TRUE(output.head);
    EXPECT_EQ(output.head->status, kHttpBadRequest);
  }
}

TEST_F(RestStreamTest, StreamedNdjsonLinesBecomeOneFrameEach) {
  auto stream = Started(
      Request("POST", "/uploads?file_name=a.txt", {{"content-type", "application/x-ndjson"}}));
  const std::string body = "{\"data\":\"YWJj\"}\n{\"data\":\"ZGU=\"}\n{\"data\":\"Zg==\"}";
  std::string upstream_body;
  size_t frames_before_end = 0;
  for (size_t i = 0; i < body.size(); i += 5) {
    ASSERT_TRUE(stream->OnRequestData(body.substr(i, 5), false, &upstream_body).ok());
  }
  frames_before_end = Payloads(upstream_body).size();
  EXPECT_EQ(frames_before_end, 2u) << "complete lines go on before the body ends";
  ASSERT_TRUE(stream->OnRequestData("", true, &upstream_body).ok());
  auto payloads = Payloads(upstream_body);
  ASSERT_EQ(payloads.size(), 3u);
  const char* expected[] = {"abc", "de", "f"};
  for (size_t i = 0; i < payloads.size(); ++i) {
    upload::v1::FileChunk chunk;
    ASSERT_TRUE(chunk.ParseFromString(payloads[i]));
    EXPECT_EQ(chunk.data(), expected[i]);
    EXPECT_EQ(chunk.file_name(), i == 0 ? "a.txt" : "");
  }
}

TEST_F(RestStreamTest, StreamedBodyPastMaxBodyBytesIs413) {
  auto stream = Started(Request("POST", "/uploads", {{"content-type", "application/x-ndjson"}}));
  const std::string line = "{\"data\":\"" + std::string(100, 'A') + "\"}\n";
  std::string upstream_body;
  absl::Status status;
  uint64_t sent = 0;
  while (status.ok() && sent <= kMaxBodyBytes) {
    status = stream->OnRequestData(line, false, &upstream_body);
    sent += line.size();
  }
  EXPECT_EQ(HttpStatusFromStatus(status), kHttpPayloadTooLarge) << status;
  EXPECT_NE(status.message().find("max_body_bytes"), std::string::npos) << status;
  EXPECT_GT(sent, kMaxBodyBytes);
  EXPECT_LE(Payloads(upstream_body).size(), kMaxBodyBytes / line.size());
  DownstreamOutput output = stream->Fail(status, {});
  ASSERT_TRUE(output.head);
  EXPECT_EQ(output.head->status, kHttpPayloadTooLarge);
}

// ---- response side ------------------------------------------------------------------------

TEST_F(RestStreamTest, UnaryResponseIsOneJsonBodyWithMetadata) {
  auto stream = Started(Request("GET", "/events/e1"));
  ResponseHead head = kGrpcHead;
  head.headers.emplace_back("x-server-id", "replica-2");
  head.headers.emplace_back("x-blob-bin", "AAEC");
  head.headers.emplace_back("x-deadline-budget", "budget=early");  // the trailers' wins
  EXPECT_TRUE(IsEmpty(stream->OnResponseHeaders(head, false)));

  ticket::v1::Event event;
  event.set_id("e1");
  event.set_name("Gala");
  event.set_capacity(10);
  const std::string frame = Frame(event);
  for (size_t i = 0; i < frame.size(); i += 3) {
    EXPECT_TRUE(IsEmpty(stream->OnResponseData(frame.substr(i, 3), false)));
  }
  DownstreamOutput output = stream->OnResponseTrailers(
      {{"grpc-status", "0"}, {"x-deadline-budget", "budget=250ms"}, {"x-cache", "miss"}});
  ASSERT_TRUE(output.head);
  EXPECT_EQ(output.head->status, kHttpOk);
  const Headers expected = {{"content-type", "application/json"},
                            {"x-deadline-budget", "budget=250ms"},
                            {"x-server-id", "replica-2"},
                            {"x-cache", "miss"}};
  EXPECT_EQ(output.head->headers, expected);
  EXPECT_NE(output.body.find("\"id\":\"e1\""), std::string::npos) << output.body;
  EXPECT_NE(output.body.find("\"name\":\"Gala\""), std::string::npos) << output.body;
  EXPECT_TRUE(output.end_stream);
  EXPECT_EQ(output.gateway_status, -1);
  EXPECT_TRUE(IsEmpty(stream->OnResponseTrailers({{"grpc-status", "0"}})));
}

TEST_F(RestStreamTest, TrailersOnlyErrorIsTheHttpStatusForTheCode) {
  struct Case {
    int grpc_code;
    int http_status;
  } cases[] = {{kGrpcNotFound, kHttpNotFound},
               {kGrpcUnauthenticated, kHttpUnauthorized},
               {kGrpcUnavailable, kHttpServiceUnavailable},
               {kGrpcDeadlineExceeded, kHttpGatewayTimeout}};
  for (const auto& c : cases) {
    auto stream = Started(Request("GET", "/events/e9"));
    ResponseHead head = kGrpcHead;
    head.headers.emplace_back("grpc-status", std::to_string(c.grpc_code));
    head.headers.emplace_back("grpc-message", "no%20event%20e9");
    DownstreamOutput output = stream->OnResponseHeaders(head, true);
    ASSERT_TRUE(output.head) << c.grpc_code;
    EXPECT_EQ(output.head->status, c.http_status);
    EXPECT_EQ(Get(output.head->headers, "content-type"), "application/json");
    EXPECT_EQ(output.body, JsonErrorBody(c.grpc_code, "no event e9"));
    EXPECT_TRUE(output.end_stream);
  }
}

TEST_F(RestStreamTest, DataWithoutTrailersIsInternal) {
  auto stream = Started(Request("GET", "/events/e1"));
  EXPECT_TRUE(IsEmpty(stream->OnResponseHeaders(kGrpcHead, false)));
  ticket::v1::Event event;
  event.set_id("e1");
  DownstreamOutput output = stream->OnResponseData(Frame(event), true);
  ASSERT_TRUE(output.head);
  EXPECT_EQ(output.head->status, kHttpInternalServerError);
  EXPECT_EQ(output.body, JsonErrorBody(kGrpcInternal, "backend sent no grpc-status"));
  EXPECT_TRUE(output.end_stream);
}

TEST_F(RestStreamTest, MalformedResponseFrameFailsTheCallAsInternal) {
  auto stream = Started(Request("GET", "/events/e1"));
  EXPECT_TRUE(IsEmpty(stream->OnResponseHeaders(kGrpcHead, false)));
  std::string frame;
  AppendFrame(0, std::string(kMaxMessageBytes + 1, 'x'), &frame);  // over the message limit
  DownstreamOutput output = stream->OnResponseData(frame, false);
  EXPECT_EQ(output.gateway_status, kGrpcInternal);
  ASSERT_TRUE(output.head);
  EXPECT_EQ(output.head->status, kHttpInternalServerError);
  EXPECT_TRUE(output.end_stream);
  EXPECT_TRUE(IsEmpty(stream->OnResponseTrailers({{"grpc-status", "0"}})));
}

// The answer a unary call gets when the backend's message is not the route's (field number 0
// is never valid), or when it ended OK without one.
DownstreamOutput UnaryAnswerFor(RestStream& stream, const std::string& response_body) {
  EXPECT_TRUE(IsEmpty(stream.OnResponseHeaders(kGrpcHead, false)));
  EXPECT_TRUE(IsEmpty(stream.OnResponseData(response_body, false)));
  return stream.OnResponseTrailers({{"grpc-status", "0"}});
}

std::string NotAMessageFrame() {
  std::string frame;
  AppendFrame(0, "\xff\xff\xff\xff", &frame);
  return frame;
}

TEST_F(RestStreamTest, UnaryResponseNotTheRoutesIsA500) {
  for (const std::string& response_body : {NotAMessageFrame(), std::string()}) {
    auto stream = Started(Request("GET", "/events/e1"));
    DownstreamOutput answer = UnaryAnswerFor(*stream, response_body);
    ASSERT_TRUE(answer.head);
    EXPECT_EQ(answer.head->status, kHttpInternalServerError);
    EXPECT_NE(answer.body.find("\"code\":13"), std::string::npos) << answer.body;
    EXPECT_TRUE(answer.end_stream);
  }
}

// DISABLED: the 500 above leaves gateway_status at -1, so the metrics and the access log
// record the call as OK (the backend's grpc-status 0), unlike the same failure on a stream or
// a malformed frame (gateway_status 13). Enable once RestStream sets it.
TEST_F(RestStreamTest, UnaryResponseNotTheRoutesCountsAsGatewayInternal) {
  for (const std::string& response_body : {NotAMessageFrame(), std::string()}) {
    auto stream = Started(Request("GET", "/events/e1"));
    EXPECT_EQ(UnaryAnswerFor(*stream, response_body).gateway_status, kGrpcInternal);
  }
}

TEST_F(RestStreamTest, StreamedResponseMessageNotTheRoutesFailsTheCallAsInternal) {
  auto stream = Started(Request("GET", "/stocks/ACME/watch"));
  ASSERT_TRUE(stream->OnResponseHeaders(kGrpcHead, false).head);
  DownstreamOutput output = stream->OnResponseData(NotAMessageFrame(), false);
  EXPECT_EQ(output.gateway_status, kGrpcInternal);
  EXPECT_TRUE(output.end_stream);
  EXPECT_NE(output.body.find("\"code\":13"), std::string::npos) << output.body;
}

TEST_F(RestStreamTest, ServerStreamIsNdjsonOrSseWithAnErrorAtTheEnd) {
  struct Case {
    Headers extra;
    std::string content_type;
    std::string error_prefix;
  } cases[] = {
      {{}, "application/x-ndjson", "{\"code\":14"},
      {{{"accept", "text/event-stream"}}, "text/event-stream", "event: error\ndata: {\"code\":14"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.content_type);
    auto stream = Started(Request("GET", "/stocks/ACME/watch", c.extra));
    ResponseHead head = kGrpcHead;
    head.headers.emplace_back("x-server-id", "replica-1");
    DownstreamOutput first = stream->OnResponseHeaders(head, false);
    ASSERT_TRUE(first.head);
    EXPECT_EQ(first.head->status, kHttpOk);
    EXPECT_EQ(Get(first.head->headers, "content-type"), c.content_type);
    EXPECT_EQ(Get(first.head->headers, "x-server-id"), "replica-1");
    EXPECT_FALSE(first.end_stream);

    std::string frames;
    for (float price : {1.5f, 2.25f}) {
      stock::v1::PriceUpdate update;
      update.set_symbol("ACME");
      update.set_price(price);
      frames += Frame(update);
    }
    DownstreamOutput lines = stream->OnResponseData(frames, false);
    EXPECT_FALSE(lines.head);
    EXPECT_FALSE(lines.end_stream);
    EXPECT_EQ(lines.gateway_status, -1);
    const std::string line_start = c.content_type == "text/event-stream" ? "data: {" : "{";
    size_t count = 0;
    for (size_t at = lines.body.find(line_start); at != std::string::npos;
         at = lines.body.find(line_start, at + 1)) {
      ++count;
    }
    EXPECT_EQ(count, 2u) << lines.body;
    EXPECT_NE(lines.body.find("2.25"), std::string::npos) << lines.body;

    DownstreamOutput last =
        stream->OnResponseTrailers({{"grpc-status", "14"}, {"grpc-message", "gone"}});
    EXPECT_FALSE(last.head);
    EXPECT_EQ(last.body.rfind(c.error_prefix, 0), 0u) << last.body;
    EXPECT_NE(last.body.find("gone"), std::string::npos) << last.body;
    EXPECT_TRUE(last.end_stream);
  }
}

TEST_F(RestStreamTest, ServerStreamEndingOkHasNoErrorLine) {
  auto stream = Started(Request("GET", "/stocks/ACME/watch"));
  ASSERT_TRUE(stream->OnResponseHeaders(kGrpcHead, false).head);
  DownstreamOutput last = stream->OnResponseTrailers({{"grpc-status", "0"}});
  EXPECT_FALSE(last.head);
  EXPECT_TRUE(last.body.empty()) << last.body;
  EXPECT_TRUE(last.end_stream);
}

// ---- Fail ---------------------------------------------------------------------------------

TEST_F(RestStreamTest, FailBeforeAnyRouteIsAJsonError) {
  auto stream = NewStream();
  DownstreamOutput output = stream->Fail(absl::UnavailableError("no backend for the call"), {});
  ASSERT_TRUE(output.head);
  EXPECT_EQ(output.head->status, kHttpServiceUnavailable);
  EXPECT_EQ(Get(output.head->headers, "content-type"), "application/json");
  EXPECT_EQ(output.body, JsonErrorBody(kGrpcUnavailable, "no backend for the call"));
  EXPECT_TRUE(output.end_stream);
  EXPECT_TRUE(IsEmpty(stream->OnResponseHeaders(kGrpcHead, false)));
}

TEST_F(RestStreamTest, FailBeforeTheHeadCarriesTheExtraHeadersAndOneTrace) {
  auto stream = Started(Request("GET", "/events/e1"));
  DownstreamOutput output = stream->Fail(
      absl::UnauthenticatedError("token expired"),
      {{"www-authenticate", "Bearer error=\"invalid_token\""}, {"x-deadline-budget", "budget=1s"}});
  ASSERT_TRUE(output.head);
  EXPECT_EQ(output.head->status, kHttpUnauthorized);
  EXPECT_EQ(Get(output.head->headers, "www-authenticate"), "Bearer error=\"invalid_token\"");
  EXPECT_EQ(Get(output.head->headers, "x-deadline-budget"), "budget=1s");
  EXPECT_EQ(Count(output.head->headers, "x-deadline-budget"), 1u);
  EXPECT_EQ(output.body, JsonErrorBody(kGrpcUnauthenticated, "token expired"));
  EXPECT_TRUE(output.end_stream);
  // The call is over: later hooks give nothing.
  EXPECT_TRUE(IsEmpty(stream->OnResponseHeaders(kGrpcHead, false)));
  EXPECT_TRUE(IsEmpty(stream->OnResponseData(Frame(ticket::v1::Event()), false)));
  EXPECT_TRUE(IsEmpty(stream->OnResponseTrailers({{"grpc-status", "0"}})));
  EXPECT_TRUE(IsEmpty(stream->Fail(absl::CancelledError("reset"), {})));
}

TEST_F(RestStreamTest, FailWithAnHttpStatusAnswersWithIt) {
  auto stream = Started(Request("POST", "/users", {{"content-type", "application/json"}}));
  std::string upstream_body;
  ASSERT_TRUE(stream->OnRequestData("{\"email\":", false, &upstream_body).ok());
  DownstreamOutput output = stream->Fail(
      WithHttpStatus(absl::DeadlineExceededError("request body stalled"), kHttpRequestTimeout), {});
  ASSERT_TRUE(output.head);
  EXPECT_EQ(output.head->status, kHttpRequestTimeout);
  EXPECT_EQ(output.body, JsonErrorBody(kGrpcDeadlineExceeded, "request body stalled"));
  EXPECT_TRUE(output.end_stream);
  EXPECT_TRUE(IsEmpty(stream->OnResponseHeaders(kGrpcHead, true)));
  EXPECT_TRUE(IsEmpty(stream->Fail(absl::CancelledError("reset"), {})));
}

// DISABLED: Fail on the request-error path (request_failed_, or a status carrying an HTTP
// status) answers RestErrorOutput(status, 0, rejection_headers_) and drops `extra`, though
// codec/translation.h says `extra` belongs in an answer whose head is not sent yet. Enable once
// RestStream::Fail adds `extra` there.
TEST_F(RestStreamTest, RequestErrorAnswerCarriesTheExtraHeaders) {
  auto stream = Started(Request("POST", "/users", {{"content-type", "application/json"}}));
  DownstreamOutput output = stream->Fail(
      WithHttpStatus(absl::DeadlineExceededError("request body stalled"), kHttpRequestTimeout),
      {{"x-deadline-budget", "budget=1s"}});
  ASSERT_TRUE(output.head);
  EXPECT_EQ(output.head->status, kHttpRequestTimeout);
  EXPECT_EQ(Get(output.head->headers, "x-deadline-budget"), "budget=1s");
}

// DISABLED: with no route (404, 405), every Fail answers again: nothing records that the call
// is over, against codec/translation.h's "later hooks return empty outputs". The codecs guard
// against a second answer themselves today. Enable once RestStream records its end.
TEST_F(RestStreamTest, FailAfterTheAnswerWithoutARouteGivesNothing) {
  auto stream = NewStream();
  UpstreamRequest upstream;
  absl::Status status = stream->OnRequestHeaders(Request("GET", "/nowhere"), &upstream);
  ASSERT_TRUE(stream->Fail(status, {}).end_stream);
  EXPECT_TRUE(IsEmpty(stream->Fail(absl::CancelledError("reset"), {})));
}

TEST_F(RestStreamTest, FailAfterAStreamsHeadIsAnErrorLine) {
  auto stream = Started(Request("GET", "/stocks/ACME/watch"));
  ASSERT_TRUE(stream->OnResponseHeaders(kGrpcHead, false).head);
  DownstreamOutput output =
      stream->Fail(absl::UnavailableError("the gateway is shutting down"), {{"retry-after", "1"}});
  EXPECT_FALSE(output.head);
  EXPECT_EQ(output.body,
            FormatNdjsonLine(JsonErrorBody(kGrpcUnavailable, "the gateway is shutting down")));
  EXPECT_TRUE(output.end_stream);
  stock::v1::PriceUpdate update;
  update.set_symbol("ACME");
  EXPECT_TRUE(IsEmpty(stream->OnResponseData(Frame(update), false)));
  EXPECT_TRUE(IsEmpty(stream->OnResponseTrailers({{"grpc-status", "0"}})));
  EXPECT_TRUE(IsEmpty(stream->Fail(absl::CancelledError("reset"), {})));
}

}  // namespace
}  // namespace switchboard::gateway::rest
