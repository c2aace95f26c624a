#include "common/bus/in_process_bus.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/bus/subject.h"

namespace switchboard::bus {

int64_t SystemNowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class InProcessBus::Queue {
 public:
  Queue(std::string pattern, Handler handler, SubscribeOptions options)
      : pattern_(std::move(pattern)), handler_(std::move(handler)), options_(options) {}

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  const std::string& pattern() const { return pattern_; }

  // Never blocks: a full queue drops the new message and counts it.
  void Offer(const Message& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    if (pending_.size() >= options_.queue_messages ||
        pending_bytes_ + message.data.size() > options_.queue_bytes) {
      ++dropped_;
      return;
    }
    pending_bytes_ += message.data.size();
    pending_.push_back(message);
    ready_.notify_one();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  int64_t Dropped() {
    std::lock_guard<std::mutex> lock(mutex_);
    return dropped_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      ready_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      Message message = std::move(pending_.front());
      pending_.pop_front();
      pending_bytes_ -= message.data.size();
      lock.unlock();
      handler_(message);
      lock.lock();
    }
  }

  const std::string pattern_;
  const Handler handler_;
  const SubscribeOptions options_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Message> pending_;
  size_t pending_bytes_ = 0;
  int64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

namespace {

class InProcessSubscription final : public Subscription {
 public:
  InProcessSubscription(std::shared_ptr<InProcessBus::Queue> queue,
                        std::function<void()> unsubscribe)
      : queue_(std::move(queue)), unsubscribe_(std::move(unsubscribe)) {}
  ~InProcessSubscription() override {
    unsubscribe_();  // no new messages reach the queue...
    queue_->Stop();  // ...and the one being handled finishes before this returns
  }
  int64_t Dropped() const override { return queue_->Dropped(); }

 private:
  std::shared_ptr<InProcessBus::Queue> queue_;
  std::function<void()> unsubscribe_;
};

}  // namespace

InProcessBus::InProcessBus(NowMillis now) : now_(std::move(now)) {}

// Every subscription must be destroyed before its bus (each unsubscribes through it).
InProcessBus::~InProcessBus() = default;

absl::Status InProcessBus::Retain(const StreamSpec& spec) {
  if (auto bad = ValidateSubject(spec.subjects, /*wildcards=*/true); !bad.ok()) return bad;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& stream : streams_) {
    if (stream->spec.name == spec.name) {
      stream->spec = spec;
      TrimLocked(*stream);
      return absl::OkStatus();
    }
  }
  auto stream = std::make_unique<Stream>();
  stream->spec = spec;
  streams_.push_back(std::move(stream));
  return absl::OkStatus();
}

InProcessBus::Stream* InProcessBus::StreamFor(absl::string_view subject) {
  for (auto& stream : streams_) {
    if (SubjectMatches(stream->spec.subjects, subject)) return stream.get();
  }
  return nullptr;
}

void InProcessBus::TrimLocked(Stream& stream) {
  const int64_t oldest_kept = now_() - stream.spec.max_age.count();
  while (!stream.kept.empty() &&
         (static_cast<int64_t>(stream.kept.size()) > stream.spec.max_messages ||
          stream.kept.front().at_ms < oldest_kept)) {
    stream.kept.pop_front();
  }
  // The per-subject limit only binds on the newest subject's messages, the one just added.
  if (stream.kept.empty()) return;
  const std::string& subject = stream.kept.back().message.subject;
  int64_t same = 0;
  for (auto it = stream.kept.rbegin(); it != stream.kept.rend(); ++it) {
    if (it->message.subject != subject) continue;
    if (++same > stream.spec.max_messages_per_subject) {
      stream.kept.erase(std::next(it).base());
      return;
    }
  }
}

absl::Status InProcessBus::Publish(absl::string_view subject, absl::string_view data) {
  if (auto bad = ValidateSubject(subject, /*wildcards=*/false); !bad.ok()) return bad;
  Message message{std::string(subject), std::string(data), 0};
  std::lock_guard<std::mutex> lock(mutex_);
  if (Stream* stream = StreamFor(subject)) {
    message.sequence = ++stream->last_sequence;
    stream->kept.push_back({message, now_()});
    TrimLocked(*stream);
  }
  for (auto& queue : queues_) {
    if (SubjectMatches(queue->pattern(), subject)) queue->Offer(message);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Subscription>> InProcessBus::Subscribe(absl::string_view pattern,
                                                                      Handler handler,
                                                                      SubscribeOptions options) {
  if (auto bad = ValidateSubject(pattern, /*wildcards=*/true); !bad.ok()) return bad;
  auto queue = std::make_shared<Queue>(std::string(pattern), std::move(handler), options);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (options.replay) {
      // Under the publish lock, so nothing is missed or seen twice between replay and live.
      for (auto& stream : streams_) {
        TrimLocked(*stream);
        for (const auto& kept : stream->kept) {
          if (SubjectMatches(queue->pattern(), kept.message.subject)) queue->Offer(kept.message);
        }
      }
    }
    queues_.push_back(queue);
  }
  queue->Start();
  Queue* raw = queue.get();
  return std::unique_ptr<Subscription>(
      new InProcessSubscription(std::move(queue), [this, raw] { Remove(raw); }));
}

absl::StatusOr<bool> InProcessBus::HoldLease(const std::string& name, const std::string& holder,
                                             std::chrono::milliseconds ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now = now_();
  Lease& lease = leases_[name];
  if (lease.holder != holder && lease.expires_ms > now) return false;
  lease.holder = holder;
  lease.expires_ms = now + ttl.count();
  return true;
}

absl::StatusOr<uint64_t> InProcessBus::LastSequence(absl::string_view subject) {
  if (auto bad = ValidateSubject(subject, /*wildcards=*/false); !bad.ok()) return bad;
  std::lock_guard<std::mutex> lock(mutex_);
  Stream* stream = StreamFor(subject);
  if (stream == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("subject ", subject, " is in no retained stream"));
  }
  TrimLocked(*stream);
  for (auto it = stream->kept.rbegin(); it != stream->kept.rend(); ++it) {
    if (it->message.subject == subject) return it->message.sequence;
  }
  return uint64_t{0};
}

std::unique_ptr<ConnectionWatch> InProcessBus::WatchConnection(ConnectionHandler /*handler*/) {
  return std::make_unique<ConnectionWatch>();
}

void InProcessBus::Remove(Queue* queue) {
  std::lock_guard<std::mutex> lock(mutex_);
  queues_.erase(std::remove_if(queues_.begin(), queues_.end(),
                               [queue](const auto& q) { return q.get() == queue; }),
                queues_.end());
}

}  // namespace switchboard::bus
