// Load generator for bench/upload_throughput.sh, three modes:
//   bench_upload grpc --target=H:P --bytes=N --chunk=N   one UploadFile stream of N bytes
//   bench_upload tcp-recv --port=P [--out=FILE]          accepts one connection, reads to EOF
//                                                        (into FILE, fsynced, when given), acks
//   bench_upload tcp-send --port=P --bytes=N --chunk=N   the same bytes in the same chunks
// The TCP pair is the baseline: what loopback moves with no gRPC, no HTTP/2, no protobuf.
//
// Output: "name value" lines on stdout.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "bench_common.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"

namespace switchboard::bench {
namespace {

using upload::v1::FileChunk;
using upload::v1::UploadResult;
using upload::v1::UploadService;

constexpr double kMiB = 1024.0 * 1024.0;

// Bytes that do not compress to nothing, the same in every chunk.
std::string Pattern(size_t size) {
  std::string data(size, '\0');
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = static_cast<char>(x);
  }
  return data;
}

// One upload stream; one write in flight at a time, the next started from OnWriteDone.
class Uploader final : public grpc::ClientWriteReactor<FileChunk> {
 public:
  Uploader(UploadService::Stub* stub, int64_t bytes, size_t chunk_bytes)
      : bytes_(bytes), chunk_bytes_(chunk_bytes), pattern_(Pattern(chunk_bytes)) {
    stub->async()->UploadFile(&context_, &result_, this);
  }

  void Start() {
    start_us_ = NowSteadyMicros();
    chunk_.set_file_name("bench.bin");
    Next();
    StartCall();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return;  // the server ended the call; OnDone has the status
    if (chunk_.chunk_number() == 1) chunk_.clear_file_name();
    if (sent_ < bytes_) {
      Next();
    } else {
      StartWritesDone();
    }
  }

  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mutex_);
    end_us_ = NowSteadyMicros();
    status_ = status;
    done_ = true;
    cv_.notify_all();
  }

  grpc::Status Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
    return status_;
  }
  double seconds() const { return static_cast<double>(end_us_ - start_us_) / 1e6; }
  const UploadResult& result() const { return result_; }

 private:
  void Next() {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(chunk_bytes_), bytes_ - sent_);
    if (static_cast<size_t>(n) != chunk_.data().size()) chunk_.set_data(pattern_.data(), n);
    chunk_.set_chunk_number(chunk_.chunk_number() + 1);
    sent_ += n;
    StartWrite(&chunk_);
  }

  const int64_t bytes_;
  const size_t chunk_bytes_;
  const std::string pattern_;
  grpc::ClientContext context_;
  FileChunk chunk_;
  UploadResult result_;
  int64_t sent_ = 0;
  int64_t start_us_ = 0;
  int64_t end_us_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  grpc::Status status_;
};

int RunGrpc(Flags& flags) {
  const std::string target = flags.Str("target", "127.0.0.1:50121");
  const int64_t bytes = flags.Int("bytes", int64_t{512} << 20);
  const int64_t chunk = flags.Int("chunk", 64 << 10);
  flags.CheckAllUsed();
  auto channel = MakeChannel(target, 0);
  if (!WaitConnected(channel, 10)) {
    std::fprintf(stderr, "cannot connect to %s\n", target.c_str());
    return 1;
  }
  auto stub = UploadService::NewStub(channel);
  Uploader uploader(stub.get(), bytes, static_cast<size_t>(chunk));
  uploader.Start();
  grpc::Status status = uploader.Wait();
  if (!status.ok() || uploader.result().total_bytes() != bytes) {
    std::fprintf(stderr, "upload failed: %d %s (total_bytes %lld)\n", status.error_code(),
                 status.error_message().c_str(),
                 static_cast<long long>(uploader.result().total_bytes()));
    return 1;
  }
  Emit("bytes", static_cast<double>(bytes));
  Emit("seconds", uploader.seconds());
  Emit("mib_per_second", static_cast<double>(bytes) / kMiB / uploader.seconds());
  return 0;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int RunTcpRecv(Flags& flags) {
  const int port = static_cast<int>(flags.Int("port", 0));
  const std::string out = flags.Str("out", "");
  const int64_t chunk = flags.Int("chunk", 64 << 10);
  flags.CheckAllUsed();
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener, 1) != 0) {
    std::perror("tcp-recv: bind/listen");
    return 1;
  }
  const int conn = accept(listener, nullptr, nullptr);
  close(listener);
  if (conn < 0) return 1;
  int file = -1;
  if (!out.empty()) {
    file = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (file < 0) {
      std::perror("tcp-recv: open");
      return 1;
    }
  }
  std::string buffer(static_cast<size_t>(chunk), '\0');
  int64_t received = 0;
  while (true) {
    const ssize_t n = read(conn, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received += n;
    if (file >= 0 && !WriteAll(file, buffer.data(), static_cast<size_t>(n))) {
      std::perror("tcp-recv: write");
      return 1;
    }
  }
  if (file >= 0) {
    fsync(file);
    close(file);
    unlink(out.c_str());
  }
  const char ack = 1;
  WriteAll(conn, &ack, 1);
  close(conn);
  Emit("received", static_cast<double>(received));
  return 0;
}

int RunTcpSend(Flags& flags) {
  const int port = static_cast<int>(flags.Int("port", 0));
  const int64_t bytes = flags.Int("bytes", int64_t{512} << 20);
  const int64_t chunk = flags.Int("chunk", 64 << 10);
  flags.CheckAllUsed();
  const std::string pattern = Pattern(static_cast<size_t>(chunk));
  int fd = -1;
  // The receiver is started just before us: retry until it listens (5 s at most).
  for (int attempt = 0; attempt < 500; ++attempt) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) break;
    close(fd);
    fd = -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (fd < 0) {
    std::fprintf(stderr, "tcp-send: cannot connect to port %d\n", port);
    return 1;
  }
  const int64_t start = NowSteadyMicros();
  int64_t sent = 0;
  while (sent < bytes) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(chunk, bytes - sent));
    if (!WriteAll(fd, pattern.data(), n)) {
      std::perror("tcp-send: write");
      return 1;
    }
    sent += static_cast<int64_t>(n);
  }
  shutdown(fd, SHUT_WR);
  char ack = 0;
  // The receiver acks once it has everything (and, with --out, has fsynced it).
  if (read(fd, &ack, 1) != 1) {
    std::fprintf(stderr, "tcp-send: no ack from the receiver\n");
    return 1;
  }
  const double seconds = static_cast<double>(NowSteadyMicros() - start) / 1e6;
  close(fd);
  Emit("bytes", static_cast<double>(bytes));
  Emit("seconds", seconds);
  Emit("mib_per_second", static_cast<double>(bytes) / kMiB / seconds);
  return 0;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) {
  switchboard::bench::Flags flags(argc, argv);
  const std::string mode = flags.positional().empty() ? "" : flags.positional()[0];
  if (mode == "grpc") return switchboard::bench::RunGrpc(flags);
  if (mode == "tcp-recv") return switchboard::bench::RunTcpRecv(flags);
  if (mode == "tcp-send") return switchboard::bench::RunTcpSend(flags);
  std::fprintf(stderr, "usage: bench_upload grpc|tcp-recv|tcp-send [--flags]\n");
  return 2;
}
