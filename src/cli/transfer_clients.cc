#include "cli/transfer_clients.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/progress_bar.h"
#include "switchboard/chat/v1/chat.grpc.pb.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"

namespace switchboard::cli {
namespace {

constexpr int kMaxChunkBytes = 1024 * 1024;
constexpr int kStdinPollMs = 100;
constexpr size_t kMaxLineBytes = 64 * 1024;
// get-file --output - writes to stdout.
constexpr char kStdoutPath[] = "-";

// Reads lines from stdin without blocking for longer than a poll interval, so the chat ends
// promptly when the stream does (Ctrl-C, server gone) even while nobody types.
class StdinLines {
 public:
  // Returns false at end of input or once `stop` is set.
  bool Next(std::string* line, const std::atomic<bool>& stop) {
    while (!stop) {
      const auto newline = pending_.find('\n');
      if (newline != std::string::npos) {
        *line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        return true;
      }
      if (eof_) {
        if (pending_.empty()) return false;
        *line = std::move(pending_);
        pending_.clear();
        return true;
      }
      pollfd fd{STDIN_FILENO, POLLIN, 0};
      if (poll(&fd, 1, kStdinPollMs) <= 0) continue;
      char buffer[4096];
      const ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
      if (n <= 0) {
        eof_ = true;
      } else {
        pending_.append(buffer, static_cast<size_t>(n));
        if (pending_.size() > kMaxLineBytes && pending_.find('\n') == std::string::npos) {
          pending_.resize(kMaxLineBytes);
          pending_.push_back('\n');
        }
      }
    }
    return false;
  }

 private:
  std::string pending_;
  bool eof_ = false;
};

}  // namespace

int RunUpload(const CallFlags& flags) {
  if (flags.file.empty()) {
    std::cerr << "switchboard call upload: --file PATH is required\n";
    return 2;
  }
  if (flags.chunk_size <= 0 || flags.chunk_size > kMaxChunkBytes) {
    std::cerr << "switchboard call upload: --chunk-size must be 1.." << kMaxChunkBytes << "\n";
    return 2;
  }
  const int fd = open(flags.file.c_str(), O_RDONLY);
  struct stat info {};
  if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    std::cerr << "switchboard call upload: cannot read " << flags.file << "\n";
    if (fd >= 0) close(fd);
    return 2;
  }
  grpc::ClientContext context;
  if (auto error = PrepareContext(flags, &context)) {
    std::cerr << "switchboard call: " << *error << "\n";
    close(fd);
    return 2;
  }
  auto stub = upload::v1::UploadService::NewStub(OpenChannel(flags.address));
  CancelOnSignal cancel(&context);
  upload::v1::UploadResult result;
  auto writer = stub->UploadFile(&context, &result);
  ProgressBar progress("upload", info.st_size, stderr);
  std::string buffer(static_cast<size_t>(flags.chunk_size), '\0');
  int64_t sent = 0;
  int32_t chunk_number = 0;
  bool read_failed = false;
  while (true) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      read_failed = true;
      break;
    }
    if (n == 0) break;
    upload::v1::FileChunk chunk;
    chunk.set_data(buffer.data(), static_cast<size_t>(n));
    chunk.set_chunk_number(++chunk_number);
    if (chunk_number == 1) {
      chunk.set_file_name(flags.name.empty()
                              ? std::filesystem::path(flags.file).filename().string()
                              : flags.name);
    }
    if (!writer->Write(chunk)) break;  // the server ended the call; Finish says why
    sent += n;
    progress.Update(sent);
  }
  close(fd);
  if (read_failed) context.TryCancel();
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  progress.Finish();
  if (read_failed) {
    std::cerr << "switchboard call upload: reading " << flags.file << " failed; upload cancelled\n";
    return 1;
  }
  if (status.ok()) {
    std::cout << "{\"fileId\": \"" << result.file_id() << "\", \"totalBytes\": \""
              << result.total_bytes() << "\", \"success\": " << (result.success() ? "true" : "false")
              << ", \"sha256\": \"" << result.sha256() << "\"}\n";
  }
  return ReportOutcome(flags, context, status, cancel.signalled());
}

int RunDownload(const CallFlags& flags) {
  // No --output (or "-"): the bytes go to stdout, for a pipe or a redirect; a terminal would
  // only show them garbled.
  const bool to_stdout = flags.output.empty() || flags.output == kStdoutPath;
  if (to_stdout && isatty(STDOUT_FILENO)) {
    std::cerr << "switchboard call upload get-file: stdout is a terminal; give --output PATH "
                 "(or redirect stdout)\n";
    return 2;
  }
  upload::v1::GetFileRequest request;
  request.set_file_id(flags.file);
  grpc::ClientContext context;
  if (auto error = PrepareContext(flags, &context)) {
    std::cerr << "switchboard call: " << *error << "\n";
    return 2;
  }
  // Written beside the target and renamed at the end, so a failed download leaves no file.
  const std::string partial = to_stdout ? std::string() : flags.output + ".partial";
  FILE* out = to_stdout ? stdout : std::fopen(partial.c_str(), "wb");
  if (out == nullptr) {
    std::cerr << "switchboard call: cannot write " << partial << "\n";
    return 2;
  }
  auto stub = upload::v1::UploadService::NewStub(OpenChannel(flags.address));
  CancelOnSignal cancel(&context);
  auto reader = stub->GetFile(&context, request);
  upload::v1::FileChunk chunk;
  int64_t received = 0;
  bool write_failed = false;
  while (reader->Read(&chunk)) {
    if (std::fwrite(chunk.data().data(), 1, chunk.data().size(), out) != chunk.data().size()) {
      write_failed = true;
      context.TryCancel();
      break;
    }
    received += static_cast<int64_t>(chunk.data().size());
  }
  grpc::Status status = reader->Finish();
  write_failed |= (to_stdout ? std::fflush(out) : std::fclose(out)) != 0;
  const std::string written = to_stdout ? std::string("stdout") : partial;
  if (status.ok() && !write_failed) {
    if (!to_stdout) std::filesystem::rename(partial, flags.output);
    std::cerr << "wrote " << HumanBytes(static_cast<double>(received)) << " to "
              << (to_stdout ? written : flags.output) << "\n";
  } else {
    if (!to_stdout) std::filesystem::remove(partial);
    if (write_failed) std::cerr << "switchboard call: writing " << written << " failed\n";
  }
  return ReportOutcome(flags, context, status, cancel.signalled());
}

int RunChat(const CallFlags& flags) {
  if (flags.room.empty() || flags.user.empty()) {
    std::cerr << "switchboard call chat: --room and --user are required\n";
    return 2;
  }
  grpc::ClientContext context;
  if (auto error = PrepareContext(flags, &context)) {
    std::cerr << "switchboard call: " << *error << "\n";
    return 2;
  }
  context.AddMetadata("x-chat-room", flags.room);
  auto stub = chat::v1::ChatService::NewStub(OpenChannel(flags.address));
  CancelOnSignal cancel(&context);
  auto stream = stub->Chat(&context);
  // Both directions are independent: this thread prints what arrives while main reads stdin.
  std::atomic<bool> stream_over{false};
  std::thread printer([&stream, &stream_over] {
    chat::v1::ChatMessage message;
    while (stream->Read(&message)) {
      switch (message.kind()) {
        case chat::v1::ChatMessage::KIND_JOIN:
          std::cout << "* " << message.user_id() << " joined\n";
          break;
        case chat::v1::ChatMessage::KIND_LEAVE:
          std::cout << "* " << message.user_id() << " left\n";
          break;
        default:
          std::cout << "[" << message.sequence() << "] " << message.user_id() << ": "
                    << message.text() << "\n";
      }
      std::cout << std::flush;
    }
    stream_over = true;
  });
  chat::v1::ChatMessage join;
  join.set_user_id(flags.user);
  join.set_room(flags.room);
  join.set_kind(chat::v1::ChatMessage::KIND_JOIN);
  bool open = stream->Write(join);
  std::string line;
  StdinLines input;
  while (open && input.Next(&line, stream_over)) {
    if (line.empty()) continue;
    chat::v1::ChatMessage message;
    message.set_user_id(flags.user);
    message.set_text(line);
    open = stream->Write(message);
  }
  stream->WritesDone();
  printer.join();
  return ReportOutcome(flags, context, stream->Finish(), cancel.signalled());
}

}  // namespace switchboard::cli
