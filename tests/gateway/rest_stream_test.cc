// Streamed REST request bodies and slow-client timeouts, end to end: the real `switchboard
// gateway` process (so its memory is its own to measure) in front of real upload and stock
// services on loopback, spoken to over raw sockets so every byte's timing is the test's.
#include <arpa/inet.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/stock/stock_service.h"
#include "services/upload/upload_service.h"
#include "services/upload/upload_test_util.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using Clock = std::chrono::steady_clock;
using upload::testing::NothingStored;
using upload::testing::PseudoRandomBytes;
using upload::testing::Sha256Of;
using upload::testing::WaitFor;

constexpr auto kSlowClientTimeout = std::chrono::seconds(1);
// Time the gateway may take beyond a timeout to act on it (timer, scheduling, a loaded box).
constexpr auto kSlack = std::chrono::milliseconds(1500);
constexpr auto kIoTimeout = std::chrono::seconds(30);
// Gateway memory growth allowed: a 1 GiB upload, and a 48 MiB download nobody reads.
constexpr int64_t kUploadRssBound = 64 << 20;
constexpr int64_t kStalledResponseRssBound = 16 << 20;

// A blocking loopback TCP client with a receive timeout, so no read can hang a test.
class Client {
 public:
  explicit Client(uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // True when a read would not block (data or EOF) within `wait`.
  bool Readable(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
  }
  // Reads until `needle` is in what was read (or EOF / timeout); returns everything read.
  std::string ReadUntil(const std::string& needle) {
    while (received_.find(needle) == std::string::npos) {
      if (!ReadSome()) break;
    }
    return received_;
  }
  std::string ReadToEnd() {
    while (ReadSome()) {
    }
    return received_;
  }
  // One HTTP/1.1 response with a content-length body (the only kind these tests read whole).
  std::pair<int, std::string> ReadResponse() {
    ReadUntil("\r\n\r\n");
    const size_t end = received_.find("\r\n\r\n");
    if (end == std::string::npos) return {0, received_};
    int status = 0;
    (void)absl::SimpleAtoi(received_.substr(9, 3), &status);
    const std::string head = received_.substr(0, end);
    size_t length = 0;
    const size_t at = head.find("content-length: ");
    if (at != std::string::npos) {
      (void)absl::SimpleAtoi(head.substr(at + 16, head.find("\r\n", at) - at - 16), &length);
    }
    while (received_.size() < end + 4 + length && ReadSome()) {
    }
    std::string body = received_.substr(end + 4, length);
    received_.erase(0, end + 4 + length);
    return {status, body};
  }
  int fd() const { return fd_; }
  int last_error() const { return last_error_; }

 private:
  bool ReadSome() {
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0) last_error_ = errno;
    if (n <= 0) return false;
    received_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
  int last_error_ = 0;
};

// Resident memory of a process, from /proc.
int64_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kib = 0;
      (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(6, line.size() - 6 - 3)), &kib);
      return kib * 1024;
    }
  }
  return -1;
}

std::string JsonMember(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const size_t at = json.find(key);
  if (at == std::string::npos) return "";
  size_t begin = at + key.size();
  if (json[begin] == '"') {
    ++begin;
    return json.substr(begin, json.find('"', begin) - begin);
  }
  return json.substr(begin, json.find_first_of(",}", begin) - begin);
}

class RestStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = static_cast<uint16_t>(switchboard::testing::FreePort());
    const std::string config = dir_.path() + "/gateway.yaml";
    std::ofstream out(config);
    out << "listen: 127.0.0.1:" << port_ << "\n"
        << "workers: " << TestGatewayWorkers() << "\n"
        << "descriptors: [" << SB_DESCRIPTOR_SET << "]\n"
        << "services:\n"
        << "  switchboard.upload.v1.UploadService:\n"
        << "    backends: [" << upload_.address() << "]\n"
        << "    timeout: {default: 5s, max: 120s}\n"
        << "  switchboard.stock.v1.StockService: {backends: [" << stock_.address() << "]}\n"
        << "limits: {slow_client_timeout: 1s" << extra_limits_ << "}\n";
    out.close();
    gateway_ = std::make_unique<switchboard::testing::ChildProcess>(
        std::vector<std::string>{switchboard::testing::SwitchboardBinary(), "gateway", "--config",
                                 config},
        dir_.path() + "/gateway.log");
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      Client probe(port_);
      if (probe.connected() && probe.Send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n") &&
          probe.ReadResponse().first == 200) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "gateway did not start: " << gateway_->Output();
  }

  void TearDown() override {
    if (HasFailure() && gateway_) {
      gateway_->Stop(SIGTERM, std::chrono::seconds(5));  // flushes its log
      ADD_FAILURE() << "gateway log:\n" << gateway_->Output();
    }
  }

  std::string data_dir() const { return upload_.data_dir() + "/data"; }

  std::string Metrics() {
    Client client(port_);
    client.Send("GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n");
    return client.ReadResponse().second;
  }

  // One request with a content-length body on a fresh connection.
  std::pair<int, std::string> Request(const std::string& head, const std::string& body) {
    Client client(port_);
    EXPECT_TRUE(client.connected());
    client.Send(absl::StrCat(head, "content-length: ", body.size(), "\r\n\r\n"));
    client.Send(body);
    return client.ReadResponse();
  }

  // CPU time the gateway process has used (user + system), from /proc.
  std::chrono::milliseconds GatewayCpu() const {
    std::ifstream in("/proc/" + std::to_string(gateway_->pid()) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    int64_t ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stoll(field);
    }
    return std::chrono::milliseconds(ticks * 1000 / sysconf(_SC_CLK_TCK));
  }

  std::string extra_limits_;  // more keys for the limits: block, ", key: value"
  switchboard::testing::TempDir dir_;
  switchboard::testing::TestServer upload_{upload::MakeUploadService};
  switchboard::testing::TestServer stock_{stock::MakeStockService, "{tick_interval: 10ms}"};
  uint16_t port_ = 0;
  std::unique_ptr<switchboard::testing::ChildProcess> gateway_;
};

TEST_F(RestStreamTest, NdjsonUploadStoresTheMessagesInOrder) {
  std::string data;
  std::string body;
  for (int i = 0; i < 5; ++i) {
    const std::string part = PseudoRandomBytes(10000 + i * 777, i);
    data += part;
    body += absl::StrCat("{\"data\":\"", absl::Base64Escape(part), "\"}\n");
  }
  body += "\n";  // a trailing empty line is fine
  auto [status, json] = Request(
      "POST /uploads?file_name=lines.bin HTTP/1.1\r\nhost: x\r\n"
      "content-type: application/x-ndjson\r\n",
      body);
  ASSERT_EQ(status, 200) << json;
  EXPECT_EQ(JsonMember(json, "sha256"), Sha256Of(data)) << json;
  EXPECT_EQ(JsonMember(json, "totalBytes"), std::to_string(data.size())) << json;
}

TEST_F(RestStreamTest, BadNdjsonLineIs400NamingTheLineAndStoresNothing) {
  auto [status, json] = Request(
      "POST /uploads HTTP/1.1\r\nhost: x\r\ncontent-type: application/jsonl\r\n",
      "{\"data\":\"YWJj\"}\n{\"data\":\"YWJj\"}\n{\"data\": nope}\n{\"data\":\"YWJj\"}\n");
  EXPECT_EQ(status, 400) << json;
  EXPECT_NE(json.find("line 3"), std::string::npos) << json;
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
}

TEST_F(RestStreamTest, RawBodyByPostAndPutStoresTheSameBytes) {
  const std::string data = PseudoRandomBytes(3 * 1024 * 1024 + 4321, 11);
  const std::string sha = Sha256Of(data);
  {  // POST, application/octet-stream, content-length
    auto [status, json] = Request(
        "POST /uploads?file_name=post.bin HTTP/1.1\r\nhost: x\r\n"
        "content-type: application/octet-stream\r\n",
        data);
    ASSERT_EQ(status, 200) << json;
    EXPECT_EQ(JsonMember(json, "sha256"), sha) << json;
  }
  {  // PUT without a content type and with Expect: 100-continue, as curl -T sends it
    Client client(port_);
    client.Send(absl::StrCat("PUT /uploads?file_name=put.bin HTTP/1.1\r\nhost: x\r\n"
                             "expect: 100-continue\r\ncontent-length: ",
                             data.size(), "\r\n\r\n"));
    const std::string interim = client.ReadUntil("\r\n\r\n");
    ASSERT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << interim;
    auto skip = client.ReadResponse();  // the 100 response has no body
    EXPECT_EQ(skip.first, 100);
    client.Send(data);
    auto [status, json] = client.ReadResponse();
    ASSERT_EQ(status, 200) << json;
    EXPECT_EQ(JsonMember(json, "sha256"), sha) << json;
  }
  {  // PUT with Transfer-Encoding: chunked (curl -T -), uneven chunks
    Client client(port_);
    client.Send("PUT /uploads HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n");
    size_t sent = 0;
    for (size_t size = 1; sent < data.size(); size = size * 3 + 7) {
      const size_t n = std::min(size, data.size() - sent);
      client.Send(absl::StrCat(absl::Hex(n), "\r\n"));
      client.Send(std::string_view(data).substr(sent, n));
      client.Send("\r\n");
      sent += n;
    }
    client.Send("0\r\n\r\n");
    auto [status, json] = client.ReadResponse();
    ASSERT_EQ(status, 200) << json;
    EXPECT_EQ(JsonMember(json, "sha256"), sha) << json;
    EXPECT_EQ(JsonMember(json, "totalBytes"), std::to_string(data.size())) << json;
  }
  {  // curl -T of a small file: the body in the same segment as the header
    Client client(port_);
    client.Send("PUT /uploads?file_name=small.bin HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n"
                "\r\nhello");
    auto [status, json] = client.ReadResponse();
    ASSERT_EQ(status, 200) << json;
    EXPECT_EQ(JsonMember(json, "sha256"), Sha256Of("hello")) << json;
  }
  {  // curl -T of an empty file
    Client client(port_);
    client.Send("PUT /uploads?file_name=empty.bin HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n");
    auto [status, json] = client.ReadResponse();
    ASSERT_EQ(status, 200) << json;
    EXPECT_EQ(JsonMember(json, "sha256"), Sha256Of("")) << json;
  }
  EXPECT_EQ(upload::testing::StoredFiles(data_dir()).size(), 5u);
}

TEST_F(RestStreamTest, RawBodyToAMessageWithoutBytesFieldIs415) {
  auto [status, json] = Request(
      "POST /stocks:publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\n",
      "abc");
  EXPECT_EQ(status, 415) << json;
  EXPECT_NE(json.find("has no bytes field"), std::string::npos) << json;
}

TEST_F(RestStreamTest, HeadersDribbledPastTheTimeoutAre408) {
  Client client(port_);
  const std::string request = "POST /uploads HTTP/1.1\r\nhost: x\r\nx-padding: " +
                              std::string(200, 'a') + "\r\n\r\n";
  const auto start = Clock::now();
  size_t i = 0;
  // A byte every 50 ms: progress, but the headers never finish within the timeout.
  while (i < request.size() && !client.Readable(std::chrono::milliseconds(50))) {
    client.Send(request.substr(i++, 1));
  }
  const auto elapsed = Clock::now() - start;
  const std::string response = client.ReadUntil("\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 408", 0), 0u) << response;
  EXPECT_GE(elapsed, kSlowClientTimeout);
  EXPECT_LT(elapsed, kSlowClientTimeout + kSlack);
  EXPECT_NE(Metrics().find("switchboard_gateway_slow_clients_total{protocol=\"rest\",phase=\"headers\"} 1"),
            std::string::npos);
}

TEST_F(RestStreamTest, StalledBodyIs408AndStoresNothing) {
  Client client(port_);
  client.Send(absl::StrCat("POST /uploads HTTP/1.1\r\nhost: x\r\n"
                           "content-type: application/octet-stream\r\ncontent-length: ",
                           10 << 20, "\r\n\r\n"));
  client.Send(PseudoRandomBytes(1 << 20, 3));  // a tenth of it, then nothing
  const auto start = Clock::now();
  auto [status, json] = client.ReadResponse();
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(status, 408) << json << " after " << std::chrono::duration<double>(elapsed).count()
                         << " s, errno " << client.last_error();
  EXPECT_NE(json.find("slow_client_timeout"), std::string::npos) << json;
  EXPECT_LT(elapsed, kSlowClientTimeout + kSlack);
  // The upload was cancelled: no partial file.
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
  EXPECT_NE(Metrics().find("switchboard_gateway_slow_clients_total{protocol=\"rest\",phase=\"body\"} 1"),
            std::string::npos);
}

TEST_F(RestStreamTest, ClientLeavingMidBodyCancelsTheUpload) {
  {
    Client client(port_);
    client.Send(absl::StrCat("PUT /uploads HTTP/1.1\r\nhost: x\r\ncontent-length: ", 8 << 20,
                             "\r\n\r\n"));
    client.Send(PseudoRandomBytes(2 << 20, 4));
  }  // closed with 6 MiB unsent
  EXPECT_TRUE(WaitFor([&] {
    return Metrics().find("UploadFile\",status=\"CANCELLED\"} 1") != std::string::npos;
  })) << Metrics();
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
}

TEST_F(RestStreamTest, StreamClientThatNeverReadsIsCancelledAndMemoryStaysBounded) {
  // A large stored file, so its download outgrows every socket buffer on the way.
  auto stub = upload::v1::UploadService::NewStub(upload_.NewChannel());
  const std::string data = PseudoRandomBytes(48 << 20, 5);
  auto uploaded = upload::testing::UploadChunks(stub.get(), upload::testing::MakeChunks(data, 1 << 20));
  ASSERT_TRUE(uploaded.status.ok()) << uploaded.status.error_message();
  const int64_t rss_before = RssBytes(gateway_->pid());

  Client client(port_, /*receive_buffer=*/16 * 1024);
  client.Send("GET /uploads/" + uploaded.result.file_id() + " HTTP/1.1\r\nhost: x\r\n\r\n");
  // Never read. The gateway fills the socket, stalls, and gives up after the timeout.
  int64_t rss_max = rss_before;
  const auto start = Clock::now();
  bool counted = false;
  while (!counted && Clock::now() - start < kSlowClientTimeout + std::chrono::seconds(10)) {
    rss_max = std::max(rss_max, RssBytes(gateway_->pid()));
    counted = Metrics().find("switchboard_gateway_slow_clients_total{protocol=\"rest\","
                             "phase=\"response\"} 1") != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(counted) << Metrics();
  EXPECT_GE(elapsed, kSlowClientTimeout);
  // The write stalls only once the buffers are full, a moment after the request.
  EXPECT_LT(elapsed, kSlowClientTimeout + kSlack + std::chrono::seconds(2));
  const bool cancelled = WaitFor([&] {
    return Metrics().find("GetFile\",status=\"CANCELLED\"} 1") != std::string::npos;
  });
  std::printf("48 MiB download never read: dropped after %.2f s, gateway RSS +%lld KiB\n",
              std::chrono::duration<double>(elapsed).count(),
              static_cast<long long>((rss_max - rss_before) / 1024));
  // The gateway holds about one stream window and its write queue, not the file.
  EXPECT_LT(rss_max - rss_before, kStalledResponseRssBound)
      << "before " << rss_before << " max " << rss_max;
  // The connection was reset: reading now drains what was buffered, then ends.
  const size_t buffered = client.ReadToEnd().size();
  EXPECT_TRUE(cancelled) << Metrics() << "\nthe client had " << buffered << " bytes buffered";
  EXPECT_NE(gateway_->Output().find("slow_client protocol=rest phase=response"), std::string::npos)
      << gateway_->Output();
}

TEST_F(RestStreamTest, GrpcWebStreamThatIsNeverReadIsCancelled) {
  auto stub = upload::v1::UploadService::NewStub(upload_.NewChannel());
  auto uploaded = upload::testing::UploadChunks(
      stub.get(), upload::testing::MakeChunks(PseudoRandomBytes(32 << 20, 8), 1 << 20));
  ASSERT_TRUE(uploaded.status.ok()) << uploaded.status.error_message();
  upload::v1::GetFileRequest request;
  request.set_file_id(uploaded.result.file_id());
  const std::string message = request.SerializeAsString();
  std::string frame(5, '\0');
  frame[4] = static_cast<char>(message.size());  // one small message
  frame += message;
  Client client(port_, /*receive_buffer=*/16 * 1024);
  client.Send(absl::StrCat("POST /switchboard.upload.v1.UploadService/GetFile HTTP/1.1\r\n"
                           "host: x\r\ncontent-type: application/grpc-web+proto\r\n"
                           "content-length: ", frame.size(), "\r\n\r\n", frame));
  ASSERT_TRUE(WaitFor(
      [&] {
        return Metrics().find("switchboard_gateway_slow_clients_total{protocol=\"grpc-web\","
                              "phase=\"response\"} 1") != std::string::npos;
      },
      kSlowClientTimeout + kSlack + std::chrono::seconds(5)))
      << Metrics();
  EXPECT_TRUE(WaitFor([&] {
    return Metrics().find("protocol=\"grpc-web\",method=\"/switchboard.upload.v1.UploadService/"
                          "GetFile\",status=\"CANCELLED\"} 1") != std::string::npos;
  })) << Metrics();
}

TEST_F(RestStreamTest, NativeGrpcStreamThatIsNeverReadIsReset) {
  auto stub = upload::v1::UploadService::NewStub(upload_.NewChannel());
  const std::string data = PseudoRandomBytes(32 << 20, 6);
  auto uploaded = upload::testing::UploadChunks(stub.get(), upload::testing::MakeChunks(data, 1 << 20));
  ASSERT_TRUE(uploaded.status.ok()) << uploaded.status.error_message();

  auto via_gateway = upload::v1::UploadService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  upload::v1::GetFileRequest request;
  request.set_file_id(uploaded.result.file_id());
  auto reader = via_gateway->GetFile(&context, request);
  const auto start = Clock::now();
  // Nothing is read: the client's stream window fills and the gateway's bytes wait.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Metrics().find("switchboard_gateway_slow_clients_total{protocol=\"grpc\","
                              "phase=\"response\"} 1") != std::string::npos;
      },
      kSlowClientTimeout + kSlack + std::chrono::seconds(5)))
      << Metrics();
  EXPECT_GE(Clock::now() - start, kSlowClientTimeout);
  EXPECT_TRUE(WaitFor([&] {
    return Metrics().find("GetFile\",status=\"CANCELLED\"} 1") != std::string::npos;
  })) << Metrics();
  upload::v1::FileChunk chunk;
  size_t received = 0;
  while (reader->Read(&chunk)) received += chunk.data().size();
  EXPECT_LT(received, data.size());
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(RestStreamTest, IdleKeepAliveConnectionIsNeitherTimedOutNorSpinning) {
  Client client(port_);
  client.Send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
  ASSERT_EQ(client.ReadResponse().first, 200);
  // Quiet between requests for longer than the slow-client timeout: that is idle (60s), not
  // slow, and waiting costs no CPU.
  const auto cpu_before = GatewayCpu();
  std::this_thread::sleep_for(kSlowClientTimeout * 2);
  const auto cpu_used = GatewayCpu() - cpu_before;
  EXPECT_LT(cpu_used, std::chrono::milliseconds(200)) << cpu_used.count() << " ms";
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().first, 200);
  EXPECT_EQ(Metrics().find("switchboard_gateway_slow_clients_total{"), std::string::npos);
}

TEST_F(RestStreamTest, BackendFailingMidBodyAnswersWithItsErrorAndCloses) {
  Client client(port_);
  std::string lines = "{\"data\":\"YWJj\"}\n{\"data\":\"YWJj\",\"chunkNumber\":5}\n";
  const std::string filler = "{\"data\":\"" + absl::Base64Escape(std::string(48 * 1024, 'z')) + "\"}\n";
  const size_t total = lines.size() + 200 * filler.size();  // ~13 MiB the backend never wants
  client.Send(absl::StrCat("POST /uploads HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-ndjson\r\n"
                           "content-length: ", total, "\r\n\r\n"));
  client.Send(lines);
  // The rest is sent from another thread: the gateway stops reading once it has answered.
  std::thread sender([&] {
    for (int i = 0; i < 200 && client.Send(filler); ++i) {
    }
  });
  auto [status, json] = client.ReadResponse();
  EXPECT_EQ(status, 400) << json;
  EXPECT_NE(json.find("chunk_number 5"), std::string::npos) << json;
  EXPECT_NE(client.ReadToEnd().find("HTTP/1.1"), 0u);  // then the connection ends
  ::shutdown(client.fd(), SHUT_RDWR);
  sender.join();
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
}

class RestStreamBodyLimitTest : public RestStreamTest {
 protected:
  RestStreamBodyLimitTest() { extra_limits_ = ", max_body_bytes: 1048576"; }
};

TEST_F(RestStreamBodyLimitTest, StreamedBodyOverMaxBodyBytesIs413) {
  const std::string data = PseudoRandomBytes(2 << 20, 9);
  {  // Declared too long: refused before a byte of it is read.
    auto [status, json] = Request(
        "POST /uploads HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\n", data);
    EXPECT_EQ(status, 413) << json;
    EXPECT_NE(json.find("limits.max_body_bytes"), std::string::npos) << json;
  }
  {  // Chunked: cut off when it passes the limit, the upload cancelled.
    Client client(port_);
    client.Send("PUT /uploads HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n");
    std::thread sender([&] {
      for (size_t sent = 0; sent < data.size(); sent += 65536) {
        if (!client.Send(absl::StrCat(absl::Hex(65536), "\r\n", data.substr(sent, 65536), "\r\n"))) {
          break;
        }
      }
      client.Send("0\r\n\r\n");
    });
    auto [status, json] = client.ReadResponse();
    ::shutdown(client.fd(), SHUT_RDWR);
    sender.join();
    EXPECT_EQ(status, 413) << json;
    EXPECT_NE(json.find("limits.max_body_bytes"), std::string::npos) << json;
  }
  // Within the limit it goes through.
  auto [status, json] = Request(
      "POST /uploads HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\n",
      data.substr(0, 1 << 20));
  EXPECT_EQ(status, 200) << json;
  EXPECT_EQ(upload::testing::StoredFiles(data_dir()).size(), 1u);
}

// A deterministic byte stream cheap enough to produce at loopback speed.
void FillPseudoRandom(uint64_t* state, std::string* block) {
  auto* words = reinterpret_cast<uint64_t*>(block->data());
  for (size_t i = 0; i < block->size() / 8; ++i) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    words[i] = x;
  }
}

TEST_F(RestStreamTest, OneGibUploadKeepsGatewayMemoryFlat) {
  constexpr int64_t kTotal = int64_t{1} << 30;
  constexpr size_t kBlock = 1 << 20;
  const int64_t rss_before = RssBytes(gateway_->pid());
  std::atomic<bool> done{false};
  std::atomic<int64_t> rss_max{rss_before};
  std::thread sampler([&] {
    while (!done) {
      rss_max = std::max<int64_t>(rss_max, RssBytes(gateway_->pid()));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const auto start = Clock::now();
  Client client(port_);
  client.Send(absl::StrCat("POST /uploads?file_name=big.bin HTTP/1.1\r\nhost: x\r\n"
                           "content-type: application/octet-stream\r\ncontent-length: ",
                           kTotal, "\r\n\r\n"));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
  std::string block(kBlock, '\0');
  uint64_t state = 0x9e3779b97f4a7c15ull;
  bool sent = true;
  for (int64_t done_bytes = 0; done_bytes < kTotal && sent; done_bytes += kBlock) {
    FillPseudoRandom(&state, &block);
    EVP_DigestUpdate(sha.get(), block.data(), block.size());
    sent = client.Send(block);
  }
  auto [status, json] = client.ReadResponse();
  const auto elapsed = Clock::now() - start;
  done = true;
  sampler.join();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_DigestFinal_ex(sha.get(), digest, &digest_size);
  const std::string expected =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), digest_size));
  ASSERT_TRUE(sent);
  ASSERT_EQ(status, 200) << json;
  EXPECT_EQ(JsonMember(json, "sha256"), expected) << json;
  EXPECT_EQ(JsonMember(json, "totalBytes"), std::to_string(kTotal)) << json;
  const int64_t growth = rss_max - rss_before;
  std::printf("1 GiB upload through the gateway: %.1f s, gateway RSS %lld -> max %lld KiB (+%lld KiB)\n",
              std::chrono::duration<double>(elapsed).count(),
              static_cast<long long>(rss_before / 1024), static_cast<long long>(rss_max / 1024),
              static_cast<long long>(growth / 1024));
  EXPECT_LT(growth, kUploadRssBound);
  EXPECT_LT(elapsed, std::chrono::seconds(50));
}

}  // namespace
}  // namespace switchboard::gateway
