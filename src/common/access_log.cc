#include "common/access_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/log_pattern.h"

namespace switchboard::common {
namespace {

constexpr size_t kBatchBytes = 64 * 1024;

// Formatted lines gather in memory and leave in one write(2); base_sink's mutex orders the
// loop thread's lines against the periodic flusher.
class BatchedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~BatchedStderrSink() override {
    std::lock_guard<std::mutex> lock(mutex_);
    WriteOut();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    batch_.append(formatted.data(), formatted.size());
    if (batch_.size() >= kBatchBytes) WriteOut();
  }
  void flush_() override { WriteOut(); }

 private:
  void WriteOut() {
    size_t done = 0;
    while (done < batch_.size()) {
      const ssize_t n = ::write(STDERR_FILENO, batch_.data() + done, batch_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr is gone: nothing useful left to do with the lines
      done += static_cast<size_t>(n);
    }
    batch_.clear();
  }

  std::string batch_;
};

std::shared_ptr<spdlog::logger>& Batched() {
  static std::shared_ptr<spdlog::logger> logger;
  return logger;
}

// spdlog's own flush_every counts in whole seconds; lines should wait less than that.
class PeriodicFlusher {
 public:
  explicit PeriodicFlusher(std::chrono::milliseconds interval)
      : thread_([this, interval] {
          std::unique_lock<std::mutex> lock(mutex_);
          while (!stopping_) {
            wake_.wait_for(lock, interval, [this] { return stopping_; });
            FlushAccessLog();
          }
        }) {}
  ~PeriodicFlusher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

void EnableBatchedAccessLog(std::chrono::milliseconds flush_interval) {
  auto logger = std::make_shared<spdlog::logger>("access", std::make_shared<BatchedStderrSink>());
  logger->set_formatter(
      std::make_unique<spdlog::pattern_formatter>(kLogPattern, spdlog::pattern_time_type::utc));
  logger->set_level(spdlog::default_logger_raw()->level());
  logger->flush_on(spdlog::level::warn);
  Batched() = std::move(logger);
  // Destroyed at exit, after a last flush.
  static PeriodicFlusher flusher(flush_interval);
  std::atexit([] { FlushAccessLog(); });
}

spdlog::logger& AccessLog() {
  const auto& batched = Batched();
  return batched ? *batched : *spdlog::default_logger_raw();
}

void FlushAccessLog() {
  if (Batched()) Batched()->flush();
}

}  // namespace switchboard::common
