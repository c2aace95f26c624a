// REST/JSON and gRPC-Web over HTTP/1.1 through a real GatewayServer to real services.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/codec/grpc_framing.h"
#include "gateway/gateway_server.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/chat/chat_service.h"
#include "services/fraud/fraud_service.h"
#include "services/stock/stock_service.h"
#include "services/ticket/ticket_service.h"
#include "testing/call_recorder.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

namespace http = boost::beast::http;

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::map<std::string, int> header_counts;
  std::string body;
};

class Http1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    GatewayConfig config =
        TestGatewayConfig({{"switchboard.ticket.v1.TicketService", ticket_.address()},
                           {"switchboard.chat.v1.ChatService", chat_.address()},
                           {"switchboard.stock.v1.StockService", stock_.address()}});
    config.cors_allow_origins = {"http://app.test"};
    auto server = GatewayServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    gateway_ = std::move(*server);
  }

  // One request on a fresh connection; reads the whole response (up to `max_body` bytes of
  // a streamed body).
  Response Send(const std::string& method, const std::string& target, const std::string& body = "",
                const std::map<std::string, std::string>& headers = {}, size_t max_body = 1 << 20) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), gateway_->port()});
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::dynamic_body> parser;
    parser.body_limit(64 << 20);
    http::read_header(socket, buffer, parser);
    Response response;
    response.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      response.headers[std::string(field.name_string())] = std::string(field.value());
      ++response.header_counts[std::string(field.name_string())];
    }
    boost::system::error_code error;
    while (!parser.is_done() && !error && response.body.size() < max_body) {
      http::read_some(socket, buffer, parser, error);
      response.body = boost::beast::buffers_to_string(parser.get().body().data());
    }
    return response;
  }

  switchboard::testing::TestServer ticket_{ticket::MakeTicketService};
  switchboard::testing::TestServer stock_{stock::MakeStockService, "{tick_interval: 10ms}"};
  switchboard::testing::TestServer chat_{chat::MakeChatService};
  std::unique_ptr<GatewayServer> gateway_;
};

// A framed GetEventRequest{id}, the body of a gRPC-Web GetEvent call.
std::string GetEventFrame(const std::string& id) {
  std::string message = "\x0a";
  message.push_back(static_cast<char>(id.size()));
  message += id;
  std::string frame;
  AppendFrame(0, message, &frame);
  return frame;
}

using WebSocket = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;

// The headers of a WebSocket upgrade request, for requests the gateway refuses before it.
const std::map<std::string, std::string> kUpgradeHeaders = {
    {"connection", "Upgrade"},
    {"upgrade", "websocket"},
    {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
    {"sec-websocket-version", "13"}};

std::unique_ptr<WebSocket> OpenChat(boost::asio::io_context& io, uint16_t port,
                                    const std::string& room) {
  auto ws = std::make_unique<WebSocket>(io);
  ws->next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  ws->handshake("127.0.0.1", "/chat/" + room);
  return ws;
}

// Reads one frame of `ws` (whose executor is `io`'s) into `buffer`, giving up after `limit`:
// timed_out then, and the connection is closed. (SO_RCVTIMEO bounds no asio read: asio waits
// in poll(2) again when recv(2) times out.)
boost::system::error_code ReadWithin(boost::asio::io_context& io, WebSocket& ws,
                                     boost::beast::flat_buffer& buffer,
                                     std::chrono::milliseconds limit) {
  boost::system::error_code result;
  bool done = false;
  ws.async_read(buffer, [&](const boost::system::error_code& error, size_t) {
    result = error;
    done = true;
  });
  io.restart();
  io.run_for(limit);
  if (done) return result;
  boost::system::error_code ignored;
  ws.next_layer().close(ignored);
  io.restart();
  io.run();  // the read ends (aborted) now that its socket is closed
  return boost::asio::error::timed_out;
}

std::string ReadText(WebSocket& ws) {
  boost::beast::flat_buffer buffer;
  ws.read(buffer);
  return boost::beast::buffers_to_string(buffer.data());
}

// Reads frames until one contains `needle`; fails after `limit` frames.
std::string ReadUntil(WebSocket& ws, const std::string& needle, int limit = 20) {
  for (int i = 0; i < limit; ++i) {
    std::string text = ReadText(ws);
    if (text.find(needle) != std::string::npos) return text;
  }
  return "";
}

TEST_F(Http1Test, NativeGrpcOverHttp1IsToldItNeedsHttp2) {
  Response r = Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent", GetEventFrame("evt-1"),
                    {{"content-type", "application/grpc"}, {"te", "trailers"}});
  EXPECT_EQ(r.status, 505) << r.body;
  EXPECT_NE(r.body.find("needs HTTP/2"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("no route"), std::string::npos) << r.body;
}

TEST_F(Http1Test, RestGetReturnsJson) {
  Response r = Send("GET", "/events/evt-3");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_NE(r.body.find(R"("venue":"Blue Note, New York")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("startsAt":")"), std::string::npos) << r.body;
  // The replica that answered, as the service's response metadata names it.
  EXPECT_EQ(r.headers["x-server-id"].rfind("127.0.0.1:", 0), 0u) << r.headers["x-server-id"];

  Response missing = Send("GET", "/events/evt-404");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers["x-server-id"].rfind("127.0.0.1:", 0), 0u)
      << "an error's trailer metadata too";
}

// An Upgrade header that is not a WebSocket upgrade (curl --http2 asks for h2c this way) is
// ignored: the request is answered by its protocol, REST or gRPC-Web.
TEST_F(Http1Test, AnUpgradeOtherThanWebSocketIsAnsweredAsAnOrdinaryRequest) {
  Response rest = Send("GET", "/events/evt-3",
                       "", {{"connection", "Upgrade, HTTP2-Settings"}, {"upgrade", "h2c"},
                            {"http2-settings", "AAMAAABkAAQCAAAAAAIAAAAA"}});
  EXPECT_EQ(rest.status, 200) << rest.body;
  EXPECT_NE(rest.body.find(R"("id":"evt-3")"), std::string::npos) << rest.body;

  Response web = Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent",
                      GetEventFrame("evt-3"),
                      {{"content-type", "application/grpc-web+proto"}, {"upgrade", "websocket"}});
  EXPECT_EQ(web.status, 200);
  EXPECT_EQ(web.headers["content-type"], "application/grpc-web+proto");
  EXPECT_NE(web.body.find("Blue Note"), std::string::npos) << web.body;

  // The gateway is still there for the next request.
  EXPECT_EQ(Send("GET", "/events/evt-3").status, 200);
}

TEST_F(Http1Test, RestQueryParametersAndPagination) {
  Response r = Send("GET", "/events?pageSize=2");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("nextPageToken":")"), std::string::npos) << r.body;
}

TEST_F(Http1Test, RestErrorsMapToHttpStatusAndJson) {
  struct Case {
    std::string method;
    std::string target;
    std::string body;
    int status;
    std::string mentions;
  } cases[] = {
      {"GET", "/events/evt-404", "", 404, R"("code":5)"},
      {"GET", "/nowhere", "", 404, "no route"},
      {"DELETE", "/events/evt-1", "", 405, ""},
      {"GET", "/events?pageSize=abc", "", 400, "pageSize"},
      {"GET", "/events?colour=red", "", 400, "colour"},
      {"GET", "/stocks/bad*symbol", "", 400, "symbol"},
  };
  for (const auto& c : cases) {
    Response r = Send(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/json") << c.target;
    EXPECT_NE(r.body.find(c.mentions), std::string::npos) << r.body;
    if (c.status == 405) EXPECT_EQ(r.headers["allow"], "GET, HEAD") << r.body;
  }
}

TEST_F(Http1Test, HeadAnswersTheGetHeadWithoutTheBody) {
  const Response get = Send("GET", "/events/evt-3");
  ASSERT_EQ(get.status, 200);
  // HEAD, then a GET on the same connection: the GET's answer starts right after the HEAD's
  // head, so no body bytes were sent for the HEAD.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), gateway_->port()});
  const std::string requests =
      "HEAD /events/evt-3 HTTP/1.1\r\nHost: t\r\n\r\n"
      "HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(requests));
  std::string received;
  boost::system::error_code error;
  std::array<char, 4096> chunk;
  while (!error) {
    const size_t n = socket.read_some(boost::asio::buffer(chunk), error);
    received.append(chunk.data(), n);
  }
  const std::string length = "content-length: " + std::to_string(get.body.size()) + "\r\n";
  const size_t first_end = received.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos) << received;
  const std::string first = received.substr(0, first_end);
  EXPECT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  EXPECT_NE((first + "\r\n").find(length), std::string::npos) << first;
  const std::string rest = received.substr(first_end + 4);
  EXPECT_EQ(rest.rfind("HTTP/1.1 200", 0), 0u) << "no body after the HEAD head: " << rest;
  const size_t second_end = rest.find("\r\n\r\n");
  ASSERT_NE(second_end, std::string::npos);
  EXPECT_NE(rest.find("content-length: 3\r\n"), std::string::npos) << rest;
  EXPECT_EQ(rest.substr(second_end + 4).rfind("HTTP/1.1 200", 0), 0u) << rest;
  EXPECT_EQ(rest.substr(rest.size() - 3), "ok\n") << "the GET after it has its body";

  Response stream = Send("HEAD", "/stocks/ACME/watch", "", {}, 0);
  EXPECT_EQ(stream.status, 405);
  EXPECT_EQ(stream.headers["allow"], "GET");
}

TEST_F(Http1Test, ServerStreamingAsNdjsonAndSse) {
  Response ndjson = Send("GET", "/stocks/ACME/watch", "", {}, 300);
  EXPECT_EQ(ndjson.status, 200);
  EXPECT_EQ(ndjson.headers["content-type"], "application/x-ndjson");
  EXPECT_EQ(ndjson.body.rfind(R"({"symbol":"ACME")", 0), 0u) << ndjson.body;
  EXPECT_NE(ndjson.body.find("}\n{"), std::string::npos) << "one JSON object per line";

  Response sse = Send("GET", "/stocks/ACME/watch", "", {{"accept", "text/event-stream"}}, 300);
  EXPECT_EQ(sse.headers["content-type"], "text/event-stream");
  EXPECT_EQ(sse.body.rfind("data: {", 0), 0u) << sse.body;
  EXPECT_NE(sse.body.find("\n\ndata: {"), std::string::npos) << sse.body;
}

TEST_F(Http1Test, GrpcWebBinaryAndTextUnary) {
  const std::string frame = GetEventFrame("evt-1");
  Response binary = Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent", frame,
                         {{"content-type", "application/grpc-web+proto"}, {"x-grpc-web", "1"}});
  EXPECT_EQ(binary.status, 200);
  EXPECT_EQ(binary.headers["content-type"], "application/grpc-web+proto");
  FrameDecoder decoder(1 << 20);
  decoder.Feed(binary.body);
  GrpcFrame message;
  GrpcFrame trailers;
  ASSERT_TRUE(decoder.Next(&message));
  EXPECT_NE(message.payload.find("The Protocol Buffers"), std::string::npos);
  ASSERT_TRUE(decoder.Next(&trailers));
  EXPECT_EQ(trailers.flags, kFlagTrailers);
  EXPECT_NE(trailers.payload.find("grpc-status:0"), std::string::npos) << trailers.payload;

  Response text = Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent", "AAAAAAcKBWV2dC0x",
                       {{"content-type", "application/grpc-web-text"}});
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(text.headers["content-type"], "application/grpc-web-text+proto");
  EXPECT_EQ(text.body.rfind("AAAAA", 0), 0u) << text.body;
}

TEST_F(Http1Test, GrpcWebErrorsAndCors) {
  const std::string frame = GetEventFrame("evt-404");
  Response missing =
      Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent", frame,
           {{"content-type", "application/grpc-web+proto"}, {"origin", "http://app.test"}});
  EXPECT_EQ(missing.status, 200);
  EXPECT_EQ(missing.headers["grpc-status"], "5") << "trailers-only: status in the headers";
  EXPECT_EQ(missing.headers["access-control-allow-origin"], "http://app.test");

  Response bad_base64 = Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent", "!!!!",
                             {{"content-type", "application/grpc-web-text"}});
  EXPECT_EQ(bad_base64.headers["grpc-status"], "3") << bad_base64.body;

  Response truncated = Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent",
                            frame.substr(0, 6), {{"content-type", "application/grpc-web+proto"}});
  EXPECT_EQ(truncated.headers["grpc-status"], "3");

  Response unknown =
      Send("POST", "/no.Such/Thing", "", {{"content-type", "application/grpc-web+proto"}});
  EXPECT_EQ(unknown.headers["grpc-status"], "12");

  Response preflight = Send("OPTIONS", "/switchboard.ticket.v1.TicketService/GetEvent", "",
                            {{"origin", "http://app.test"},
                             {"access-control-request-method", "POST"},
                             {"access-control-request-headers", "content-type,x-grpc-web"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.headers["access-control-allow-origin"], "http://app.test");
  EXPECT_EQ(preflight.header_counts["access-control-allow-origin"], 1)
      << "browsers refuse a preflight with two allow-origin values";
  Response stranger =
      Send("OPTIONS", "/switchboard.ticket.v1.TicketService/GetEvent", "",
           {{"origin", "http://evil.test"}, {"access-control-request-method", "POST"}});
  EXPECT_EQ(stranger.status, 403);
}

TEST_F(Http1Test, HealthAndOpenApi) {
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
  Response openapi = Send("GET", "/openapi.json");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_NE(openapi.body.find(R"("/events/{id}")"), std::string::npos);
  EXPECT_NE(openapi.body.find(R"("/stocks/{symbol}/watch")"), std::string::npos);
}

TEST_F(Http1Test, MetricsCountCallsByProtocolAndStatus) {
  Send("GET", "/events/evt-1");
  Send("GET", "/events/evt-404");
  const std::string frame = GetEventFrame("evt-1");
  Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent", frame,
       {{"content-type", "application/grpc-web+proto"}});
  Response metrics = Send("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  const std::string method = "/switchboard.ticket.v1.TicketService/GetEvent";
  EXPECT_NE(metrics.body.find("switchboard_gateway_calls_total{protocol=\"rest\",method=\"" +
                              method + "\",status=\"OK\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(
      metrics.body.find("protocol=\"rest\",method=\"" + method + "\",status=\"NOT_FOUND\"} 1"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("protocol=\"grpc-web\",method=\"" + method + "\",status=\"OK\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("switchboard_gateway_open_calls 0"), std::string::npos)
      << metrics.body;
  EXPECT_NE(
      metrics.body.find("switchboard_gateway_call_duration_seconds_count{protocol=\"rest\"} 2"),
      std::string::npos)
      << metrics.body;
}

TEST_F(Http1Test, RequestsTheGatewayRejectsItselfAreCountedToo) {
  EXPECT_EQ(Send("GET", "/nothing/here").status, 404);
  EXPECT_EQ(Send("GET", "/events?bogus=1").status, 400);
  EXPECT_EQ(Send("POST", "/switchboard.ticket.v1.TicketService/GetEvent", std::string(3, '\0'),
                 {{"content-type", "application/grpc-web+proto"}})
                .status,
            200);  // gRPC-Web errors travel in the trailers
  // A query on the upgrade would be dropped: refused before the upgrade.
  Response refusal = Send("GET", "/chat/lobby?x=1", "", kUpgradeHeaders);
  EXPECT_EQ(refusal.status, 400);
  EXPECT_NE(refusal.body.find("no query parameters"), std::string::npos) << refusal.body;
  // A bidirectional stream without the WebSocket upgrade: nothing reaches the chat room.
  Response chat = Send("GET", "/chat/lobby?user_id=zed");
  EXPECT_EQ(chat.status, 426);
  EXPECT_EQ(chat.headers["upgrade"], "websocket");
  EXPECT_NE(chat.body.find("open it as a WebSocket"), std::string::npos) << chat.body;
  Response metrics = Send("GET", "/metrics");
  EXPECT_NE(metrics.body.find(R"(protocol="rest",method="/switchboard.chat.v1.ChatService/)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(R"(protocol="rest",method="-",status="NOT_FOUND"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(R"(protocol="rest",method="/switchboard.ticket.v1.TicketService/)"
                              R"(ListEvents",status="INVALID_ARGUMENT"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(R"(protocol="grpc-web",method="/switchboard.ticket.v1.TicketService/)"
                              R"(GetEvent",status="INVALID_ARGUMENT"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("switchboard_gateway_open_calls 0"), std::string::npos)
      << metrics.body;
}

TEST_F(Http1Test, WebSocketCarriesAClientStreamDeclaredForPost) {
  // POST /stocks:publish is client streaming: the upgrade (a GET) opens it at the same path;
  // an empty frame ends the input and the one answer arrives before the close.
  boost::asio::io_context io;
  WebSocket ws(io);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), gateway_->port()});
  ws.handshake("127.0.0.1", "/stocks:publish");
  ws.text(true);
  ws.write(boost::asio::buffer(std::string(R"({"symbol":"ACME","price":101.5})")));
  ws.write(boost::asio::buffer(std::string(R"({"symbol":"ACME","price":102.25})")));
  ws.write(boost::asio::buffer(std::string()));
  EXPECT_EQ(ReadText(ws), R"({"accepted":"2"})");
  boost::beast::flat_buffer buffer;
  boost::system::error_code error;
  ws.read(buffer, error);
  EXPECT_EQ(error, boost::beast::websocket::error::closed) << error.message();
  EXPECT_EQ(ws.reason().code, 1000);

  // A path whose routes take no stream of requests is refused before the upgrade.
  Response refused = Send("GET", "/events/evt-1", "", kUpgradeHeaders);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("client-streaming and bidirectional"), std::string::npos)
      << refused.body;
}

TEST_F(Http1Test, WebSocketChatBetweenTwoClients) {
  boost::asio::io_context io;
  // The most a frame that must come may take: a read waiting longer fails the test.
  constexpr auto kFrameWithin = std::chrono::seconds(5);
  auto alice = OpenChat(io, gateway_->port(), "lobby");
  alice->write(boost::asio::buffer(std::string(R"({"userId":"alice","kind":"KIND_JOIN"})")));
  EXPECT_NE(ReadUntil(*alice, R"("userId":"alice")"), "");
  auto bob = OpenChat(io, gateway_->port(), "lobby");
  bob->write(boost::asio::buffer(std::string(R"({"userId":"bob","kind":"KIND_JOIN"})")));
  EXPECT_NE(ReadUntil(*alice, R"("userId":"bob")"), "") << "alice sees bob join";
  bob->write(boost::asio::buffer(std::string(R"({"userId":"bob","text":"hello alice"})")));
  const std::string received = ReadUntil(*alice, "hello alice");
  EXPECT_NE(received.find(R"("room":"lobby")"), std::string::npos) << received;
  EXPECT_NE(ReadUntil(*bob, "hello alice"), "") << "the sender gets its own message too";
  // A message alice leaves unread: once bob has his own copy, the room has queued hers too.
  bob->write(boost::asio::buffer(std::string(R"({"userId":"bob","text":"last words"})")));
  EXPECT_NE(ReadUntil(*bob, "last words"), "");

  // A bad message ends bob's call with INVALID_ARGUMENT in the close frame.
  bob->write(boost::asio::buffer(std::string(R"({"userId":"bob","text":)")));
  boost::beast::flat_buffer buffer;
  boost::system::error_code error;
  while (!error) error = ReadWithin(io, *bob, buffer, kFrameWithin);
  EXPECT_EQ(error, boost::beast::websocket::error::closed) << error.message();
  EXPECT_EQ(bob->reason().code, 4000 + 3) << bob->reason().reason;

  // An empty frame ends alice's input while she still listens (a close frame would end both
  // ways): the server ends her call normally, after the messages already queued for her (bob's
  // last words; bob's leave races her own), and the close frame that follows carries that
  // status.
  alice->write(boost::asio::buffer(std::string()));
  std::vector<std::string> after_half_close;
  error = {};
  while (!error) {
    buffer.clear();
    error = ReadWithin(io, *alice, buffer, kFrameWithin);
    if (!error) after_half_close.push_back(boost::beast::buffers_to_string(buffer.data()));
  }
  EXPECT_EQ(error, boost::beast::websocket::error::closed) << error.message();
  EXPECT_EQ(alice->reason().code, boost::beast::websocket::close_code::normal)
      << alice->reason().reason;
  EXPECT_TRUE(std::any_of(after_half_close.begin(), after_half_close.end(),
                          [](const std::string& text) {
                            return text.find("last words") != std::string::npos;
                          }))
      << "alice still receives after ending her input; she read: "
      << absl::StrJoin(after_half_close, " | ");
}

// Reads until the peer closes; returns how long that took, or nullopt after `limit`.
std::optional<std::chrono::milliseconds> TimeUntilClosed(boost::asio::ip::tcp::socket& socket,
                                                         std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  socket.non_blocking(true);
  char scratch[4096];
  while (std::chrono::steady_clock::now() - start < limit) {
    boost::system::error_code error;
    socket.read_some(boost::asio::buffer(scratch), error);
    if (error && error != boost::asio::error::would_block) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

TEST(GatewayIdleTimeout, ClosesQuietConnectionsOfBothProtocols) {
  switchboard::testing::TestServer ticket(ticket::MakeTicketService);
  GatewayConfig config =
      TestGatewayConfig({{"switchboard.ticket.v1.TicketService", ticket.address()}});
  config.limits.idle_timeout = std::chrono::milliseconds(300);
  auto gateway = GatewayServer::Start(config);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket http1(io);
  http1.connect({boost::asio::ip::make_address("127.0.0.1"), (*gateway)->port()});
  boost::asio::write(http1,
                     boost::asio::buffer(std::string("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")));
  auto closed = TimeUntilClosed(http1, std::chrono::seconds(3));
  ASSERT_TRUE(closed) << "an idle HTTP/1.1 keep-alive connection stayed open";
  EXPECT_GE(*closed, std::chrono::milliseconds(250));

  boost::asio::ip::tcp::socket h2(io);
  h2.connect({boost::asio::ip::make_address("127.0.0.1"), (*gateway)->port()});
  // The connection preface and an empty SETTINGS frame.
  const std::string preface = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                              std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);
  boost::asio::write(h2, boost::asio::buffer(preface));
  ASSERT_TRUE(TimeUntilClosed(h2, std::chrono::seconds(3))) << "an idle h2 connection stayed open";
}

TEST_F(Http1Test, MalformedHttpIsRejected) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), gateway_->port()});
  const std::string garbage = "NOT HTTP AT ALL\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(garbage));
  timeval timeout{5, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string reply;
  boost::system::error_code error;
  while (!error) {  // the connection closes after the answer
    char chunk[1024];
    const size_t n = socket.read_some(boost::asio::buffer(chunk), error);
    reply.append(chunk, n);
  }
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("content-type: application/json"), std::string::npos) << reply;
  EXPECT_NE(reply.find(R"({"code":3,"message":"malformed HTTP request: )"), std::string::npos)
      << reply;
}

// Reads one HTTP/1.1 response from `socket` (its body whole).
std::string ReadResponseBody(boost::asio::ip::tcp::socket& socket,
                             boost::beast::flat_buffer& buffer, int* status) {
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  *status = static_cast<int>(response.result_int());
  return response.body();
}

TEST_F(Http1Test, Http11RequestWithoutHostIs400) {
  // HTTP/1.1 without Host (RFC 9112 3.2); HTTP/1.0 needs none.
  for (const char* version : {"1.1", "1.0"}) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), gateway_->port()});
    boost::asio::write(
        socket, boost::asio::buffer(std::string("GET /events/evt-1 HTTP/") + version + "\r\n\r\n"));
    boost::beast::flat_buffer buffer;
    int status = 0;
    const std::string body = ReadResponseBody(socket, buffer, &status);
    EXPECT_EQ(status, std::string(version) == "1.1" ? 400 : 200) << version << ": " << body;
  }
}

TEST_F(Http1Test, KeptAliveAndPipelinedRequestsAreAnsweredInOrder) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), gateway_->port()});
  // Two requests in one write: the second arrives while the first call runs.
  const std::string two =
      "GET /events/evt-1 HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /events/evt-2 HTTP/1.1\r\nHost: t\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(two));
  boost::beast::flat_buffer buffer;
  int status = 0;
  EXPECT_NE(ReadResponseBody(socket, buffer, &status).find(R"("id":"evt-1")"), std::string::npos);
  EXPECT_EQ(status, 200);
  EXPECT_NE(ReadResponseBody(socket, buffer, &status).find(R"("id":"evt-2")"), std::string::npos);
  EXPECT_EQ(status, 200);
  // Then requests one at a time on the same connection, some after a pause (the gateway is
  // waiting on the socket, not reading it, between them).
  for (int i = 3; i <= 6; ++i) {
    if (i % 2 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string one = "GET /events/evt-" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(one));
    const std::string body = ReadResponseBody(socket, buffer, &status);
    EXPECT_EQ(status, 200);
    EXPECT_NE(body.find("\"id\":\"evt-" + std::to_string(i) + "\""), std::string::npos) << body;
  }
}

TEST_F(Http1Test, RequestBodiesArriveWithTheHeaderLaterOrInPieces) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), gateway_->port()});
  const std::string frame = GetEventFrame("evt-1");
  const std::string head =
      "POST /switchboard.ticket.v1.TicketService/GetEvent HTTP/1.1\r\nHost: t\r\n"
      "Content-Type: application/grpc-web+proto\r\nContent-Length: " +
      std::to_string(frame.size()) + "\r\n\r\n";
  const auto expect_event = [&](const std::string& when) {
    boost::beast::flat_buffer buffer;
    int status = 0;
    const std::string body = ReadResponseBody(socket, buffer, &status);
    EXPECT_EQ(status, 200) << when;
    EXPECT_NE(body.find("The Protocol Buffers"), std::string::npos) << when << ": " << body;
    EXPECT_NE(body.find("grpc-status:0"), std::string::npos) << when << ": " << body;
  };
  // Two POSTs in one write: the first body is taken to its length and no further, the second
  // request is read from what follows it.
  boost::asio::write(socket, boost::asio::buffer(head + frame + head + frame));
  {
    boost::beast::flat_buffer buffer;
    int status = 0;
    for (int i = 0; i < 2; ++i) {
      const std::string body = ReadResponseBody(socket, buffer, &status);
      EXPECT_EQ(status, 200) << "pipelined POST " << i;
      EXPECT_NE(body.find("grpc-status:0"), std::string::npos) << body;
    }
  }
  // The body after a pause, then a body in two pieces.
  boost::asio::write(socket, boost::asio::buffer(head));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  boost::asio::write(socket, boost::asio::buffer(frame));
  expect_event("body 50 ms after the header");
  boost::asio::write(socket, boost::asio::buffer(head + frame.substr(0, 5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  boost::asio::write(socket, boost::asio::buffer(frame.substr(5)));
  expect_event("body in two pieces");
}

TEST(Http1Drain, StoppingClosesIdleConnectionsAndEndsStreamsWithAnErrorLine) {
  switchboard::testing::TestServer stock{stock::MakeStockService, "{tick_interval: 20ms}"};
  GatewayConfig config =
      TestGatewayConfig({{"switchboard.stock.v1.StockService", stock.address()}});
  config.limits.shutdown_grace = std::chrono::milliseconds(800);
  auto started = GatewayServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<GatewayServer> gateway = std::move(*started);
  boost::asio::io_context io;
  const boost::asio::ip::tcp::endpoint endpoint{boost::asio::ip::make_address("127.0.0.1"),
                                                gateway->port()};
  // Reads give up after 5 s rather than hang the test.
  const auto bounded = [](boost::asio::ip::tcp::socket& socket) {
    timeval timeout{5, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  };
  boost::asio::ip::tcp::socket idle(io);
  idle.connect(endpoint);
  bounded(idle);
  boost::asio::write(idle,
                     boost::asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")));
  boost::beast::flat_buffer idle_buffer;
  int status = 0;
  EXPECT_EQ(ReadResponseBody(idle, idle_buffer, &status), "ok\n");

  boost::asio::ip::tcp::socket watch(io);
  watch.connect(endpoint);
  bounded(watch);
  boost::asio::write(watch, boost::asio::buffer(
                                std::string("GET /stocks/ACME/watch HTTP/1.1\r\nHost: t\r\n\r\n")));
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  http::read_header(watch, buffer, parser);
  EXPECT_EQ(parser.get().result_int(), 200u);

  const auto stop_began = std::chrono::steady_clock::now();
  std::thread stopper([&gateway] { gateway->Stop(); });
  // The idle connection is closed at once.
  char byte = 0;
  boost::system::error_code error;
  idle.read_some(boost::asio::buffer(&byte, 1), error);
  EXPECT_EQ(error, boost::asio::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - stop_began, std::chrono::milliseconds(500));
  // The stream goes on through the grace period, then ends with an error line and the last
  // chunk.
  boost::system::error_code watch_error;
  while (!parser.is_done() && !watch_error) http::read_some(watch, buffer, parser, watch_error);
  const auto ended_after = std::chrono::steady_clock::now() - stop_began;
  stopper.join();
  EXPECT_FALSE(watch_error) << watch_error.message();
  EXPECT_TRUE(parser.is_done());
  const std::string body = parser.get().body();
  EXPECT_GT(std::count(body.begin(), body.end(), '\n'), 10) << body;
  const std::string last_line = body.substr(body.rfind('\n', body.size() - 2) + 1);
  EXPECT_EQ(last_line, R"({"code":14,"message":"the gateway is shutting down","details":[]})"
                       "\n")
      << body;
  EXPECT_GE(ended_after, std::chrono::milliseconds(700));
  EXPECT_LT(ended_after, std::chrono::milliseconds(2500));
}

TEST(Http1Drain, StoppingEndsAWebSocketStreamWithItsCloseCode) {
  switchboard::testing::TestServer chat{chat::MakeChatService};
  GatewayConfig config = TestGatewayConfig({{"switchboard.chat.v1.ChatService", chat.address()}});
  config.limits.shutdown_grace = std::chrono::milliseconds(500);
  auto started = GatewayServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<GatewayServer> gateway = std::move(*started);
  boost::asio::io_context io;
  auto ws = OpenChat(io, gateway->port(), "drain");
  ws->write(boost::asio::buffer(std::string(R"({"userId":"ann","kind":"KIND_JOIN"})")));
  EXPECT_NE(ReadUntil(*ws, R"("userId":"ann")"), "");

  const auto stop_began = std::chrono::steady_clock::now();
  std::thread stopper([&gateway] { gateway->Stop(); });
  boost::system::error_code error;
  boost::beast::flat_buffer buffer;
  constexpr auto kFrameWithin = std::chrono::seconds(5);
  while (!error) error = ReadWithin(io, *ws, buffer, kFrameWithin);
  const auto ended_after = std::chrono::steady_clock::now() - stop_began;
  stopper.join();
  EXPECT_EQ(error, boost::beast::websocket::error::closed) << error.message();
  EXPECT_EQ(ws->reason().code, 4014);
  EXPECT_EQ(std::string(ws->reason().reason.c_str()), "the gateway is shutting down");
  EXPECT_GE(ended_after, std::chrono::milliseconds(400));
  EXPECT_LT(ended_after, std::chrono::milliseconds(2000));
}

constexpr char kFraudCheck[] = "/switchboard.fraud.v1.FraudService/Check";
// Fraud waits this long before each verdict (its `delay`), so a check still waiting has
// certainly not been answered: whatever ends it sooner came from the client's side.
constexpr auto kFraudDelay = std::chrono::seconds(5);
constexpr char kFraudSettings[] = "{delay: 5s}";
// How soon a client's hang-up must reach the backend: well below kFraudDelay, generous for a
// loaded machine.
constexpr auto kCancelReachesBackendWithin = std::chrono::seconds(1);
// Bounds for waits on things that happen at once unless broken.
constexpr auto kPromptly = std::chrono::seconds(3);

// A gRPC-Web Check call over HTTP/1.1 with `frame` (a framed CheckRequest) as its body.
std::string GrpcWebCheck(const std::string& frame) {
  return absl::StrCat("POST ", kFraudCheck,
                      " HTTP/1.1\r\nHost: t\r\nContent-Type: application/grpc-web+proto\r\n"
                      "X-Grpc-Web: 1\r\nContent-Length: ",
                      frame.size(), "\r\n\r\n", frame);
}

// CheckRequest{user_id:"u1", amount:100, currency:"EUR"}, framed.
const std::string kCheckFrame(
    "\x00\x00\x00\x00\x0b\x0a\x02u1\x10\x64\x1a\x03"
    "EUR",
    16);
// An empty CheckRequest, framed: fraud refuses it at once (no user), without its delay.
const std::string kInvalidCheckFrame("\x00\x00\x00\x00\x00", 5);

// Polls the gateway's /metrics until it contains every one of `needles` or `limit` passes;
// returns the last page.
std::string WaitForGatewayMetrics(uint16_t port, const std::vector<std::string>& needles,
                                  std::chrono::milliseconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  std::string metrics;
  do {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const std::string get = "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(get));
    boost::beast::flat_buffer buffer;
    int status = 0;
    metrics = ReadResponseBody(socket, buffer, &status);
    bool all = true;
    for (const auto& needle : needles) all &= metrics.find(needle) != std::string::npos;
    if (all) return metrics;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < give_up);
  return metrics;
}

std::string Describe(const std::vector<switchboard::testing::RecordedCall>& calls) {
  std::string text;
  for (const auto& call : calls) {
    absl::StrAppend(&text, "\n  method=\"", call.method, "\" started=", call.started,
                    " finished=", call.finished, " status=", call.status.error_code(), " \"",
                    call.status.error_message(), "\" cancelled=", call.cancelled);
  }
  return text;
}

TEST(Http1Disconnect, AWebSocketClosedByItsClientEndsItsCallAtTheBackend) {
  switchboard::testing::CallRecorder chat_calls;
  switchboard::testing::TestServer chat{chat::MakeChatService, "{}", chat_calls.Options()};
  auto gateway = GatewayServer::Start(
      TestGatewayConfig({{"switchboard.chat.v1.ChatService", chat.address()}}));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const uint16_t port = (*gateway)->port();
  const std::string method = "/switchboard.chat.v1.ChatService/Chat";
  for (const bool half_closed_first : {false, true}) {
    boost::asio::io_context io;
    auto ws = OpenChat(io, port, "closing");
    ws->write(boost::asio::buffer(std::string(R"({"userId":"carol","kind":"KIND_JOIN"})")));
    ASSERT_NE(ReadUntil(*ws, R"("userId":"carol")"), "");
    // A tab closing: a close frame, with or without the empty frame that ends the input first.
    if (half_closed_first) ws->write(boost::asio::buffer(std::string()));
    boost::system::error_code ignored;
    ws->close(boost::beast::websocket::close_code::going_away, ignored);
  }
  const auto finished = chat_calls.WaitForFinished(method, 2, kPromptly);
  ASSERT_EQ(finished.size(), 2u) << "a chat call outlived its WebSocket"
                                 << Describe(chat_calls.AllCalls());
  const std::string metrics = WaitForGatewayMetrics(
      port, {"switchboard_gateway_open_calls 0"}, kPromptly);
  EXPECT_NE(metrics.find("switchboard_gateway_open_calls 0"), std::string::npos) << metrics;
}


TEST(Http1Disconnect, ClientHangingUpDuringAUnaryCallCancelsItAtOnce) {
  switchboard::testing::CallRecorder fraud_calls;
  switchboard::testing::TestServer fraud{fraud::MakeFraudService, kFraudSettings,
                                         fraud_calls.Options()};
  auto gateway = GatewayServer::Start(
      TestGatewayConfig({{"switchboard.fraud.v1.FraudService", fraud.address()}}));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const uint16_t port = (*gateway)->port();
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point hung_up;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::write(socket, boost::asio::buffer(GrpcWebCheck(kCheckFrame)));
    // The call is under way once the backend has it; only then does the client go.
    ASSERT_TRUE(fraud_calls.WaitForStarted(kFraudCheck, 1, kPromptly))
        << "the check never reached the backend";
    hung_up = std::chrono::steady_clock::now();
  }  // the client goes away while the backend still waits
  // The backend's own view: its check ended CANCELLED (fraud's answer to a caller that went
  // away, as opposed to DEADLINE_EXCEEDED or a verdict after its delay), and soon.
  const auto finished = fraud_calls.WaitForFinished(kFraudCheck, 1, kCancelReachesBackendWithin);
  ASSERT_EQ(finished.size(), 1u) << "the backend still waits for a client that is gone"
                                 << Describe(fraud_calls.AllCalls());
  EXPECT_EQ(finished[0].status.error_code(), grpc::StatusCode::CANCELLED)
      << finished[0].status.error_message();
  EXPECT_TRUE(finished[0].cancelled);
  EXPECT_LT(finished[0].finished_at - hung_up, kCancelReachesBackendWithin);

  const std::string cancelled =
      "protocol=\"grpc-web\",method=\"/switchboard.fraud.v1.FraudService/"
      "Check\",status=\"CANCELLED\"} 1";
  const std::string metrics =
      WaitForGatewayMetrics(port, {cancelled, "switchboard_gateway_open_calls 0"}, kPromptly);
  EXPECT_NE(metrics.find(cancelled), std::string::npos) << metrics;
  EXPECT_LT(std::chrono::steady_clock::now() - start, kFraudDelay)
      << "noticed only when the backend answered";
  EXPECT_NE(metrics.find("switchboard_gateway_open_calls 0"), std::string::npos) << metrics;
}

TEST(Http1Disconnect, AClientThatHangsUpAtOnceNeverReachesTheBackendAsUnimplemented) {
  // The client sends its whole request and closes at once, so the gateway reads the request
  // and the end of the connection together. Such a call must not reach the backend as HEADERS
  // and DATA with a reset right behind: grpc++ then answers UNIMPLEMENTED with no message (a
  // unary handler whose request could not be read, the reset having dropped it) where the
  // caller's cancel was meant. Each try either never starts at the backend or ends there
  // CANCELLED.
  constexpr int kTries = 50;
  switchboard::testing::CallRecorder fraud_calls;
  switchboard::testing::TestServer fraud{fraud::MakeFraudService, kFraudSettings,
                                         fraud_calls.Options()};
  auto gateway = GatewayServer::Start(
      TestGatewayConfig({{"switchboard.fraud.v1.FraudService", fraud.address()}}));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const uint16_t port = (*gateway)->port();
  const boost::asio::ip::tcp::endpoint endpoint{boost::asio::ip::make_address("127.0.0.1"), port};
  boost::asio::io_context io;
  {
    // A call answered at once opens the gateway's backend connection, so that the tries
    // below meet a connected backend rather than wait for the connect.
    boost::asio::ip::tcp::socket socket(io);
    socket.connect(endpoint);
    boost::asio::write(socket, boost::asio::buffer(GrpcWebCheck(kInvalidCheckFrame)));
    boost::beast::flat_buffer buffer;
    int status = 0;
    ReadResponseBody(socket, buffer, &status);
    ASSERT_EQ(status, 200);
    const auto answered = fraud_calls.WaitForFinished(kFraudCheck, 1, kPromptly);
    ASSERT_EQ(answered.size(), 1u);
    ASSERT_EQ(answered[0].status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  const size_t before = fraud_calls.AllCalls().size();
  for (int i = 0; i < kTries; ++i) {
    boost::asio::ip::tcp::socket socket(io);
    socket.connect(endpoint);
    // Corked, the request waits in the kernel until the close, which then sends it with the
    // FIN in one segment: the gateway finds the end of the connection with the request,
    // whoever runs first on the machine.
    int cork = 1;
    ASSERT_EQ(setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_CORK, &cork, sizeof(cork)), 0);
    boost::asio::write(socket, boost::asio::buffer(GrpcWebCheck(kCheckFrame)));
    socket.close();
  }
  // Every try is over at the gateway, and every check the backend started has ended.
  const std::string cancelled = absl::StrCat("protocol=\"grpc-web\",method=\"", kFraudCheck,
                                             "\",status=\"CANCELLED\"} ", kTries);
  const std::string metrics =
      WaitForGatewayMetrics(port, {cancelled, "switchboard_gateway_open_calls 0"}, kPromptly);
  EXPECT_NE(metrics.find(cancelled), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("switchboard_gateway_open_calls 0"), std::string::npos) << metrics;
  EXPECT_TRUE(fraud_calls.WaitUntilAllFinished(kFraudCheck, kCancelReachesBackendWithin))
      << Describe(fraud_calls.AllCalls());

  const auto all = fraud_calls.AllCalls();
  const std::vector<switchboard::testing::RecordedCall> tries(all.begin() + before, all.end());
  int reached = 0;
  for (const auto& call : tries) {
    if (absl::StartsWith(call.method, "/grpc.health.v1.Health/")) continue;
    EXPECT_NE(call.status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << Describe({call});
    EXPECT_EQ(call.method, kFraudCheck) << Describe({call});
    EXPECT_TRUE(call.finished) << Describe({call});
    EXPECT_EQ(call.status.error_code(), grpc::StatusCode::CANCELLED) << Describe({call});
    ++reached;
  }
  // How many tries got as far as the backend (none, once the gateway sees the hang-up first).
  ::testing::Test::RecordProperty("tries_reaching_the_backend", reached);
}

}  // namespace
}  // namespace switchboard::gateway
