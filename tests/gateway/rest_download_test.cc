// A REST download is the file: the real `switchboard gateway` process (so its memory is its own
// to measure) in front of a real upload service, over HTTP/1.1 and h2c: the bytes (SHA-256),
// Content-Type, Content-Length, Range (206 and 416), and flat gateway memory.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "gateway/testing/h2c_test_client.h"
#include "services/upload/upload_service.h"
#include "services/upload/upload_test_util.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using upload::testing::PseudoRandomBytes;
using upload::testing::Sha256Of;

constexpr size_t kFileBytes = 5 << 20;
constexpr size_t kLargeFileBytes = 50 << 20;
constexpr size_t kUploadChunkBytes = 1 << 20;
constexpr auto kIoTimeout = std::chrono::seconds(30);
// Gateway memory growth allowed during a download of kLargeFileBytes: a few stream windows
// and write buffers, far below the file's size.
constexpr int64_t kDownloadRssBound = 16 << 20;
// How often the gateway's memory is sampled while a download runs.
constexpr auto kRssSampleInterval = std::chrono::milliseconds(5);

struct Http1Response {
  int status = 0;
  std::string head;  // lowercase
  std::string body;  // de-chunked
  std::string Header(const std::string& name) const {
    const std::string key = "\r\n" + name + ": ";
    const size_t at = head.find(key);
    if (at == std::string::npos) return "";
    const size_t begin = at + key.size();
    return head.substr(begin, head.find("\r\n", begin) - begin);
  }
};

// The body of a chunked (or content-length, or read-to-close) HTTP/1.1 answer.
std::string Dechunk(const std::string& raw) {
  std::string body;
  size_t at = 0;
  while (at < raw.size()) {
    const size_t line_end = raw.find("\r\n", at);
    if (line_end == std::string::npos) break;
    size_t size = 0;
    if (!absl::SimpleHexAtoi(raw.substr(at, line_end - at), &size) || size == 0) break;
    body.append(raw, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return body;
}

// One GET on its own connection (Connection: close), read to EOF; `on_read` runs after
// every read (for memory sampling).
Http1Response Http1Get(
    uint16_t port, const std::string& target, const std::string& headers,
    const std::function<void()>& on_read = [] {}) {
  Http1Response response;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return response;
  }
  const std::string request = absl::StrCat(
      "GET ", target, " HTTP/1.1\r\nhost: x\r\nconnection: close\r\n", headers, "\r\n");
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buffer[1 << 16];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
    raw.append(buffer, static_cast<size_t>(n));
    on_read();
  }
  ::close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.size() < 12) return response;
  (void)absl::SimpleAtoi(raw.substr(9, 3), &response.status);
  response.head = absl::AsciiStrToLower(raw.substr(0, end + 2));
  const std::string rest = raw.substr(end + 4);
  response.body = response.Header("transfer-encoding") == "chunked" ? Dechunk(rest) : rest;
  return response;
}

// Compared by size and SHA-256: a failure names them rather than printing megabytes.
void ExpectSameBytes(const std::string& got, const std::string& want) {
  EXPECT_EQ(got.size(), want.size());
  EXPECT_EQ(Sha256Of(got), Sha256Of(want));
}

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

class RestDownloadTest : public ::testing::Test {
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
        << "    timeout: {default: 60s, max: 120s}\n";
    out.close();
    gateway_ = std::make_unique<GatewayProcess>(config, dir_.path() + "/gateway.log");
    ASSERT_TRUE(gateway_->listening()) << gateway_->Output();
  }

  void TearDown() override {
    if (HasFailure() && gateway_) ADD_FAILURE() << "gateway log:\n" << gateway_->Output();
  }

  // Uploads `data` over gRPC; its file id.
  std::string Upload(const std::string& data) {
    auto stub = upload::v1::UploadService::NewStub(upload_.NewChannel());
    auto uploaded = upload::testing::UploadChunks(
        stub.get(), upload::testing::MakeChunks(data, kUploadChunkBytes));
    EXPECT_TRUE(uploaded.status.ok()) << uploaded.status.error_message();
    return uploaded.result.file_id();
  }

  switchboard::testing::TempDir dir_;
  switchboard::testing::TestServer upload_{upload::MakeUploadService};
  uint16_t port_ = 0;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(RestDownloadTest, Http1DownloadIsTheFileWithItsHeaders) {
  const std::string data = PseudoRandomBytes(kFileBytes, 1);
  const std::string id = Upload(data);
  auto response = Http1Get(port_, "/uploads/" + id, "");
  ASSERT_EQ(response.status, 200) << response.head << response.body.substr(0, 200);
  EXPECT_EQ(response.Header("content-type"), "application/octet-stream") << response.head;
  EXPECT_EQ(response.Header("accept-ranges"), "bytes") << response.head;
  EXPECT_EQ(response.Header("content-length"), std::to_string(data.size())) << response.head;
  EXPECT_EQ(response.Header("transfer-encoding"), "") << response.head;
  EXPECT_EQ(response.body.size(), data.size());
  EXPECT_EQ(Sha256Of(response.body), Sha256Of(data));
}

TEST_F(RestDownloadTest, H2cDownloadIsTheFileWithContentLength) {
  const std::string data = PseudoRandomBytes(kFileBytes, 2);
  const std::string id = Upload(data);
  testing::H2cClient client(port_);
  auto response = client.Call("GET", "/uploads/" + id, {}, "", kIoTimeout);
  ASSERT_TRUE(response.closed);
  ASSERT_EQ(response.status, 200) << response.body.substr(0, 200);
  EXPECT_EQ(response.error_code, 0u);
  EXPECT_EQ(response.Header("content-type"), "application/octet-stream");
  EXPECT_EQ(response.Header("content-length"), std::to_string(data.size()));
  EXPECT_EQ(response.body.size(), data.size());
  EXPECT_EQ(Sha256Of(response.body), Sha256Of(data));
}

TEST_F(RestDownloadTest, RangeReturnsExactlyThoseBytes) {
  const std::string data = PseudoRandomBytes(kFileBytes, 3);
  const std::string id = Upload(data);
  const size_t first = 1234567;
  const size_t last = 3456789;
  auto response =
      Http1Get(port_, "/uploads/" + id, absl::StrCat("range: bytes=", first, "-", last, "\r\n"));
  ASSERT_EQ(response.status, 206) << response.head << response.body.substr(0, 200);
  EXPECT_EQ(response.Header("content-range"),
            absl::StrCat("bytes ", first, "-", last, "/", data.size()));
  ExpectSameBytes(response.body, data.substr(first, last - first + 1));

  testing::H2cClient client(port_);
  auto open = client.Call("GET", "/uploads/" + id, {{"range", absl::StrCat("bytes=", first, "-")}},
                          "", kIoTimeout);
  ASSERT_EQ(open.status, 206) << open.body.substr(0, 200);
  EXPECT_EQ(open.Header("content-length"), std::to_string(data.size() - first));
  EXPECT_EQ(open.Header("content-range"),
            absl::StrCat("bytes ", first, "-", data.size() - 1, "/", data.size()));
  ExpectSameBytes(open.body, data.substr(first));
  // A last byte past the end is cut to the end.
  auto past = client.Call(
      "GET", "/uploads/" + id,
      {{"range", absl::StrCat("bytes=", data.size() - 10, "-", data.size() * 2)}}, "", kIoTimeout);
  ASSERT_EQ(past.status, 206) << past.body.substr(0, 200);
  ExpectSameBytes(past.body, data.substr(data.size() - 10));
}

TEST_F(RestDownloadTest, RangePastTheEndIs416) {
  const std::string data = PseudoRandomBytes(1000, 4);
  const std::string id = Upload(data);
  auto response = Http1Get(port_, "/uploads/" + id, "range: bytes=1000-2000\r\n");
  EXPECT_EQ(response.status, 416) << response.head << response.body;
  EXPECT_EQ(response.Header("content-range"), "bytes */*") << response.head;
  EXPECT_NE(response.body.find("offset 1000"), std::string::npos) << response.body;
  // A Range this does not take (several ranges) gets the whole file.
  auto whole = Http1Get(port_, "/uploads/" + id, "range: bytes=0-1,5-6\r\n");
  EXPECT_EQ(whole.status, 200) << whole.head;
  ExpectSameBytes(whole.body, data);
}

TEST_F(RestDownloadTest, GatewayMemoryStaysFlatDuringALargeDownload) {
  const std::string data = PseudoRandomBytes(kLargeFileBytes, 5);
  const std::string id = Upload(data);
  const int64_t rss_before = RssBytes(gateway_->pid());
  int64_t rss_max = rss_before;
  auto last_sample = std::chrono::steady_clock::now();
  auto response = Http1Get(port_, "/uploads/" + id, "", [&] {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_sample < kRssSampleInterval) return;
    last_sample = now;
    rss_max = std::max(rss_max, RssBytes(gateway_->pid()));
  });
  ASSERT_EQ(response.status, 200) << response.head;
  EXPECT_EQ(Sha256Of(response.body), Sha256Of(data));
  std::printf("50 MiB REST download: gateway RSS +%lld KiB\n",
              static_cast<long long>((rss_max - rss_before) / 1024));
  EXPECT_LT(rss_max - rss_before, kDownloadRssBound)
      << "before " << rss_before << " max " << rss_max;
}

}  // namespace
}  // namespace switchboard::gateway
