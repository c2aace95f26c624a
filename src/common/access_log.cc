#include "common/access_log.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace switchboard::common {
namespace {

constexpr size_t kBatchBytes = 64 * 1024;

// Lines gather in memory and leave in one write(2). The mutex orders the loop thread's lines
// against the periodic flusher.
class AccessLogBatch {
 public:
  ~AccessLogBatch() { Flush(); }

  void Append(std::string_view message) {
    const auto now = std::chrono::system_clock::now();
    const auto since_epoch = now.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    std::lock_guard<std::mutex> lock(mutex_);
    // The date and time to the second change once a second: formatted then, not per line.
    if (seconds.count() != cached_second_) {
      cached_second_ = seconds.count();
      const std::time_t time = static_cast<std::time_t>(cached_second_);
      std::tm utc{};
      gmtime_r(&time, &utc);
      char text[32];
      const size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
      cached_prefix_.assign(text, n);
    }
    const char stamp[] = {'.',
                          static_cast<char>('0' + millis / 100),
                          static_cast<char>('0' + millis / 10 % 10),
                          static_cast<char>('0' + millis % 10),
                          'Z',
                          ' '};
    batch_ += cached_prefix_;
    batch_.append(stamp, sizeof(stamp));
    batch_ += "info ";
    batch_.append(message.data(), message.size());
    batch_ += '\n';
    if (batch_.size() >= kBatchBytes) WriteOut();
  }

  void Flush() {
    std::lock_guard<std::mutex> lock(mutex_);
    WriteOut();
  }

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

  std::mutex mutex_;
  std::string batch_;
  int64_t cached_second_ = -1;
  std::string cached_prefix_;
};

std::unique_ptr<AccessLogBatch>& Batch() {
  static std::unique_ptr<AccessLogBatch> batch;
  return batch;
}

// Wakes every interval to flush; stopped and joined at exit, after a last flush.
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
  // At exit the flusher (constructed after the batch, so destroyed before it) stops after a
  // last flush, and the batch writes whatever came after that when it goes.
  Batch() = std::make_unique<AccessLogBatch>();
  static PeriodicFlusher flusher(flush_interval);
}

void FlushAccessLog() {
  if (Batch()) Batch()->Flush();
}

bool AccessLogOn() { return spdlog::default_logger_raw()->should_log(spdlog::level::info); }

void WriteAccessLine(std::string_view message) {
  if (Batch()) {
    Batch()->Append(message);
  } else {
    spdlog::info("{}", message);
  }
}

}  // namespace switchboard::common
