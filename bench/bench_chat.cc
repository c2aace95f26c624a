// Load generator for bench/chat_room.sh: `members` bidirectional Chat streams join one room
// (spread over channels with separate connections); `senders` of them post messages closed-loop,
// each with at most `window` of its own messages not yet echoed back to it. Every text carries
// its send time ("t=<unix us>"), so each member measures send-to-deliver latency itself.
//
// Output: "name value" lines on stdout; progress on stderr.
#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "switchboard/chat/v1/chat.grpc.pb.h"

namespace switchboard::bench {
namespace {

using chat::v1::ChatMessage;
using chat::v1::ChatService;

constexpr char kStampPrefix[] = "t=";

struct Totals {
  std::atomic<bool> sending{false};
  std::atomic<bool> measuring{false};
  std::atomic<int64_t> window_start_us{0};
  std::atomic<int64_t> joined{0};
  std::atomic<int64_t> sent{0};        // texts written in the window
  std::atomic<int64_t> deliveries{0};  // texts received by any member in the window
  std::atomic<int64_t> failed{0};      // streams the server ended (e.g. dropped as too slow)
  Histogram latency;

  std::mutex done_mutex;
  std::condition_variable done_cv;
  int64_t open = 0;
};

class Member final : public grpc::ClientBidiReactor<ChatMessage, ChatMessage> {
 public:
  Member(ChatService::Stub* stub, const std::string& room, std::string user_id, int window,
         Totals* totals)
      : user_id_(std::move(user_id)), window_(window), totals_(totals) {
    context_.AddMetadata("x-chat-room", room);
    stub->async()->Chat(&context_, this);
    out_.set_user_id(user_id_);
    out_.set_kind(ChatMessage::KIND_JOIN);
    writing_ = true;
    StartWrite(&out_);
    StartRead(&in_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }
  int64_t own_join_sequence() const { return own_join_sequence_.load(); }
  int64_t last_sequence() const { return last_sequence_.load(); }

  // Starts sending if this member is a sender and its window has room.
  void Kick() {
    std::lock_guard<std::mutex> lock(mutex_);
    MaybeSendLocked();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    const int64_t now_us = NowUnixMicros();
    last_sequence_.store(in_.sequence(), std::memory_order_relaxed);
    if (in_.kind() == ChatMessage::KIND_JOIN && in_.user_id() == user_id_) {
      own_join_sequence_.store(in_.sequence());
      totals_->joined.fetch_add(1);
    } else if (in_.kind() == ChatMessage::KIND_TEXT) {
      const std::string& text = in_.text();
      if (text.rfind(kStampPrefix, 0) == 0) {
        const int64_t sent_us = std::strtoll(text.c_str() + 2, nullptr, 10);
        if (totals_->measuring.load(std::memory_order_relaxed)) {
          totals_->deliveries.fetch_add(1, std::memory_order_relaxed);
        }
        if (sent_us >= totals_->window_start_us.load(std::memory_order_relaxed) &&
            totals_->window_start_us.load(std::memory_order_relaxed) > 0) {
          totals_->latency.Record(now_us - sent_us);
        }
      }
      if (in_.user_id() == user_id_ && window_ > 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        --outstanding_;
        MaybeSendLocked();
      }
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    if (ok) MaybeSendLocked();
  }

  void OnDone(const grpc::Status& status) override {
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      if (totals_->failed.fetch_add(1) == 0) {
        std::fprintf(stderr, "member %s ended: %d %s\n", user_id_.c_str(), status.error_code(),
                     status.error_message().c_str());
      }
    }
    std::lock_guard<std::mutex> lock(totals_->done_mutex);
    --totals_->open;
    totals_->done_cv.notify_all();
  }

 private:
  void MaybeSendLocked() {
    if (window_ == 0 || writing_ || outstanding_ >= window_ || !totals_->sending.load()) return;
    ++outstanding_;
    writing_ = true;
    out_.set_kind(ChatMessage::KIND_TEXT);
    out_.set_text(kStampPrefix + std::to_string(NowUnixMicros()));
    if (totals_->measuring.load(std::memory_order_relaxed)) {
      totals_->sent.fetch_add(1, std::memory_order_relaxed);
    }
    StartWrite(&out_);
  }

  const std::string user_id_;
  const int window_;  // 0: not a sender
  Totals* totals_;
  grpc::ClientContext context_;
  ChatMessage in_;
  std::atomic<int64_t> own_join_sequence_{0};
  std::atomic<int64_t> last_sequence_{0};

  std::mutex mutex_;
  ChatMessage out_;
  bool writing_ = false;
  int outstanding_ = 0;
};

bool WaitUntil(const std::function<bool()>& done, double timeout_s) {
  const int64_t deadline = NowSteadyMicros() + static_cast<int64_t>(timeout_s * 1e6);
  while (!done()) {
    if (NowSteadyMicros() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int Run(Flags& flags) {
  const std::string target = flags.Str("target", "127.0.0.1:50131");
  const std::string room = flags.Str("room", "bench");
  const int64_t members = flags.Int("members", 1000);
  const int64_t senders = flags.Int("senders", 10);
  const int window = static_cast<int>(flags.Int("window", 4));
  const int channels = static_cast<int>(flags.Int("channels", 8));
  const double warmup_s = flags.Double("warmup-s", 2);
  const double measure_s = flags.Double("measure-s", 10);
  const double join_timeout_s = flags.Double("join-timeout-s", 60);
  flags.CheckAllUsed();
  if (senders > members) {
    std::fprintf(stderr, "--senders must not exceed --members\n");
    return 2;
  }

  std::vector<std::shared_ptr<grpc::Channel>> pool;
  std::vector<std::unique_ptr<ChatService::Stub>> stubs;
  for (int i = 0; i < channels; ++i) {
    pool.push_back(MakeChannel(target, i));
    if (!WaitConnected(pool.back(), 10)) {
      std::fprintf(stderr, "channel %d did not connect to %s\n", i, target.c_str());
      return 1;
    }
    stubs.push_back(ChatService::NewStub(pool.back()));
  }

  Totals totals;
  totals.open = members;
  std::vector<std::unique_ptr<Member>> all;
  const int64_t join_start = NowSteadyMicros();
  for (int64_t i = 0; i < members; ++i) {
    all.push_back(std::make_unique<Member>(stubs[static_cast<size_t>(i % channels)].get(), room,
                                           "m" + std::to_string(i), i < senders ? window : 0,
                                           &totals));
  }
  // Joined: every member saw its own join; settled: every member saw every join.
  bool ok = WaitUntil([&] { return totals.joined.load() == members || totals.failed.load() > 0; },
                      join_timeout_s) &&
            totals.failed.load() == 0;
  int64_t last_join = 0;
  for (auto& m : all) last_join = std::max(last_join, m->own_join_sequence());
  ok = ok && WaitUntil(
                 [&] {
                   for (auto& m : all) {
                     if (m->last_sequence() < last_join) return false;
                   }
                   return true;
                 },
                 join_timeout_s);
  std::fprintf(stderr, "%lld members joined in %.2f s\n",
               static_cast<long long>(totals.joined.load()),
               static_cast<double>(NowSteadyMicros() - join_start) / 1e6);

  double window_s = 0;
  if (ok) {
    totals.sending = true;
    for (int64_t i = 0; i < senders; ++i) all[static_cast<size_t>(i)]->Kick();
    std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
    const int64_t start = NowSteadyMicros();
    totals.window_start_us = NowUnixMicros();
    totals.measuring = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(measure_s));
    totals.measuring = false;
    window_s = static_cast<double>(NowSteadyMicros() - start) / 1e6;
    totals.sending = false;
    // Let the last messages of the window arrive so their latencies are counted.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }

  for (auto& m : all) m->Cancel();
  {
    std::unique_lock<std::mutex> lock(totals.done_mutex);
    totals.done_cv.wait_for(lock, std::chrono::seconds(30), [&] { return totals.open == 0; });
    if (totals.open != 0) {
      std::fprintf(stderr, "%lld streams did not end after cancel\n",
                   static_cast<long long>(totals.open));
      return 1;
    }
  }
  Emit("members", static_cast<double>(members));
  Emit("senders", static_cast<double>(senders));
  Emit("members_failed", static_cast<double>(totals.failed.load()));
  if (window_s > 0) {
    Emit("window_seconds", window_s);
    Emit("messages_per_second", static_cast<double>(totals.sent.load()) / window_s);
    Emit("deliveries_per_second", static_cast<double>(totals.deliveries.load()) / window_s);
    Emit("latency_p50_ms", totals.latency.Percentile(50) / 1000.0);
    Emit("latency_p99_ms", totals.latency.Percentile(99) / 1000.0);
    Emit("latency_samples", static_cast<double>(totals.latency.count()));
  }
  return ok && totals.failed.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) {
  switchboard::bench::Flags flags(argc, argv);
  return switchboard::bench::Run(flags);
}
