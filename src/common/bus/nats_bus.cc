#include "common/bus/nats_bus.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/bus/subject.h"

namespace switchboard::bus {
namespace {

constexpr int64_t kNanosPerMilli = 1000000;
// How often an ordered consumer's server says it is alive; two missed make the client recreate
// the consumer after the last message it saw, which is how a server restart is survived.
constexpr int64_t kConsumerHeartbeatMs = 1000;
// The library takes 0 as "its default, 8 MB"; one byte holds no message.
constexpr int kNoReconnectBuffer = 1;

int64_t Millis(std::chrono::milliseconds d) { return static_cast<int64_t>(d.count()); }

absl::Status NatsError(const std::string& what, natsStatus status,
                       jsErrCode js_error = static_cast<jsErrCode>(0)) {
  std::string message = absl::StrCat(what, ": ", natsStatus_GetText(status));
  if (const char* last = nats_GetLastError(nullptr); last != nullptr && *last != '\0') {
    absl::StrAppend(&message, " (", last, ")");
  }
  if (static_cast<int>(js_error) != 0)
    absl::StrAppend(&message, " [JetStream error ", js_error, "]");
  switch (status) {
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

// A subscription's callbacks reach the handler through this, under its mutex, so that closing
// it (under the same mutex) waits for a running handler and stops later ones.
struct NatsBus::Delivery {
  std::mutex mutex;
  bool closed = false;
  Handler handler;
};

// The connection handlers, called from the connection's disconnected and reconnected callbacks
// under `mutex`, so that ending a watch (under the same mutex) waits for a call in progress.
struct NatsBus::Watchers {
  std::mutex mutex;
  int64_t next_id = 0;
  std::map<int64_t, ConnectionHandler> handlers;

  void Notify(bool connected) {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [id, handler] : handlers) handler(connected);
  }
};

namespace {

class NatsConnectionWatch final : public ConnectionWatch {
 public:
  NatsConnectionWatch(std::shared_ptr<NatsBus::Watchers> watchers, int64_t id)
      : watchers_(std::move(watchers)), id_(id) {}
  ~NatsConnectionWatch() override {
    std::lock_guard<std::mutex> lock(watchers_->mutex);
    watchers_->handlers.erase(id_);
  }

 private:
  std::shared_ptr<NatsBus::Watchers> watchers_;
  const int64_t id_;
};

// The subscription's completion callback: the library no longer calls its handler.
void ReleaseDelivery(void* closure) {
  delete static_cast<std::shared_ptr<NatsBus::Delivery>*>(closure);
}

void OnMessage(natsConnection* /*connection*/, natsSubscription* /*sub*/, natsMsg* msg,
               void* closure) {
  auto* delivery = static_cast<NatsBus::Delivery*>(closure);
  Message message;
  message.subject = natsMsg_GetSubject(msg);
  message.data.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    message.sequence = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
  }
  natsMsg_Destroy(msg);
  std::lock_guard<std::mutex> lock(delivery->mutex);
  if (!delivery->closed) delivery->handler(message);
}

}  // namespace

void NatsBus::OnDisconnected(natsConnection* /*connection*/, void* closure) {
  auto* bus = static_cast<NatsBus*>(closure);
  if (bus->closing()) return;
  spdlog::warn("bus {}: disconnected; reconnecting", bus->Describe());
  bus->watchers_->Notify(false);
}

void NatsBus::OnReconnected(natsConnection* /*connection*/, void* closure) {
  auto* bus = static_cast<NatsBus*>(closure);
  bus->reconnects_.fetch_add(1);
  spdlog::info("bus {}: reconnected", bus->Describe());
  if (!bus->closing()) bus->watchers_->Notify(true);
}

namespace {

class NatsSubscription final : public Subscription {
 public:
  NatsSubscription(natsSubscription* sub, std::shared_ptr<NatsBus::Delivery> delivery)
      : sub_(sub), delivery_(std::move(delivery)) {}
  ~NatsSubscription() override {
    {
      std::lock_guard<std::mutex> lock(delivery_->mutex);
      delivery_->closed = true;
    }
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
  int64_t Dropped() const override {
    int64_t dropped = 0;
    natsSubscription_GetDropped(sub_, &dropped);
    return dropped;
  }

 private:
  natsSubscription* const sub_;
  std::shared_ptr<NatsBus::Delivery> delivery_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<NatsBus>> NatsBus::Connect(const NatsOptions& options) {
  if (auto bad = ValidateNatsUrl(options.url); !bad.ok()) return bad;
  natsOptions* opts = nullptr;
  if (natsStatus s = natsOptions_Create(&opts); s != NATS_OK) {
    return NatsError("bus: nats options", s);
  }
  // The bus object is made before the connection so the callbacks can name it.
  std::unique_ptr<NatsBus> bus(new NatsBus(options));
  natsOptions_SetURL(opts, options.url.c_str());
  if (!options.client_name.empty()) natsOptions_SetName(opts, options.client_name.c_str());
  natsOptions_SetTimeout(opts, Millis(options.connect_timeout));
  natsOptions_SetAllowReconnect(opts, true);
  natsOptions_SetMaxReconnect(opts, -1);  // forever: the bus is part of the system
  natsOptions_SetReconnectWait(opts, Millis(options.reconnect_wait));
  // No buffering while disconnected: a publish then fails at once, so a caller told
  // UNAVAILABLE knows the message was not sent, rather than seeing it go out later.
  natsOptions_SetReconnectBufSize(opts, kNoReconnectBuffer);
  natsOptions_SetDisconnectedCB(opts, OnDisconnected, bus.get());
  natsOptions_SetReconnectedCB(opts, OnReconnected, bus.get());
  natsConnection* connection = nullptr;
  natsStatus s = natsConnection_Connect(&connection, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    return absl::UnavailableError(
        absl::StrCat("bus ", options.url, ": cannot connect: ", natsStatus_GetText(s),
                     " (is nats-server running there, with -js? set bus.url in the config)"));
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = Millis(options.publish_timeout);
  jsCtx* jetstream = nullptr;
  if (s = natsConnection_JetStream(&jetstream, connection, &js_options); s != NATS_OK) {
    natsConnection_Destroy(connection);
    return NatsError(absl::StrCat("bus ", options.url, ": JetStream"), s);
  }
  bus->connection_ = connection;
  bus->jetstream_ = jetstream;
  return bus;
}

NatsBus::NatsBus(NatsOptions options)
    : options_(std::move(options)), watchers_(std::make_shared<Watchers>()) {}

NatsBus::~NatsBus() {
  closing_ = true;
  for (auto& [name, lease] : leases_) {
    if (lease.bucket != nullptr) kvStore_Destroy(lease.bucket);
  }
  if (jetstream_ != nullptr) jsCtx_Destroy(jetstream_);
  if (connection_ == nullptr) return;
  natsConnection_Close(connection_);
  natsConnection_Destroy(connection_);
}

bool NatsBus::Connected() const {
  return connection_ != nullptr && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

bool NatsBus::Retained(absl::string_view subject_or_pattern) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& pattern : retained_) {
    if (SubjectMatches(pattern, subject_or_pattern)) return true;
    if (pattern == subject_or_pattern) return true;
  }
  return false;
}

std::unique_ptr<ConnectionWatch> NatsBus::WatchConnection(ConnectionHandler handler) {
  std::lock_guard<std::mutex> lock(watchers_->mutex);
  const int64_t id = watchers_->next_id++;
  watchers_->handlers.emplace(id, std::move(handler));
  return std::make_unique<NatsConnectionWatch>(watchers_, id);
}

std::string NatsBus::StreamOf(absl::string_view subject) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < retained_.size(); ++i) {
    if (SubjectMatches(retained_[i], subject)) return stream_names_[i];
  }
  return "";
}

absl::StatusOr<uint64_t> NatsBus::LastSequence(absl::string_view subject) {
  if (auto bad = ValidateSubject(subject, /*wildcards=*/false); !bad.ok()) return bad;
  const std::string stream = StreamOf(subject);
  if (stream.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("subject ", subject, " is in no retained stream"));
  }
  if (!Connected()) {
    return absl::UnavailableError(absl::StrCat("bus ", options_.url, ": not connected"));
  }
  const std::string subj(subject);
  natsMsg* last = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&last, jetstream_, stream.c_str(), subj.c_str(), nullptr, &error);
  if (s == NATS_OK) {
    const uint64_t sequence = natsMsg_GetSequence(last);
    natsMsg_Destroy(last);
    return sequence;
  }
  if (error == JSNoMessageFoundErr || s == NATS_NOT_FOUND) return uint64_t{0};
  return NatsError(absl::StrCat("bus ", options_.url, ": last message on ", subj), s, error);
}

absl::Status NatsBus::Retain(const StreamSpec& spec) {
  if (auto bad = ValidateSubject(spec.subjects, /*wildcards=*/true); !bad.ok()) return bad;
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {spec.subjects.c_str()};
  config.Name = spec.name.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.MaxAge = Millis(spec.max_age) * kNanosPerMilli;
  config.MaxMsgs = spec.max_messages;
  config.MaxMsgsPerSubject = spec.max_messages_per_subject;
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, jetstream_, &config, nullptr, &error);
  if (s != NATS_OK) {
    // Declared before (by another replica, or an earlier run): bring its limits up to date.
    error = static_cast<jsErrCode>(0);
    s = js_UpdateStream(&info, jetstream_, &config, nullptr, &error);
  }
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (s != NATS_OK) {
    return NatsError(absl::StrCat("bus ", options_.url, ": stream ", spec.name), s, error);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < retained_.size(); ++i) {
    if (stream_names_[i] == spec.name) return absl::OkStatus();  // declared again: same stream
  }
  retained_.push_back(spec.subjects);
  stream_names_.push_back(spec.name);
  return absl::OkStatus();
}

absl::Status NatsBus::Publish(absl::string_view subject, absl::string_view data) {
  if (auto bad = ValidateSubject(subject, /*wildcards=*/false); !bad.ok()) return bad;
  const std::string subj(subject);
  if (!Connected()) {
    return absl::UnavailableError(
        absl::StrCat("bus ", options_.url, ": not connected (reconnecting); not sent"));
  }
  if (Retained(subject)) {
    jsPubAck* ack = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, jetstream_, subj.c_str(), data.data(),
                              static_cast<int>(data.size()), nullptr, &error);
    if (ack != nullptr) jsPubAck_Destroy(ack);
    if (s == NATS_TIMEOUT) {
      return absl::UnavailableError(
          absl::StrCat("bus ", options_.url, ": publish ", subj, ": no acknowledgement within ",
                       Millis(options_.publish_timeout), " ms; it may still have been stored"));
    }
    if (s != NATS_OK)
      return NatsError(absl::StrCat("bus ", options_.url, ": publish ", subj), s, error);
    return absl::OkStatus();
  }
  natsStatus s =
      natsConnection_Publish(connection_, subj.c_str(), data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return NatsError(absl::StrCat("bus ", options_.url, ": publish ", subj), s);
  return absl::OkStatus();
}

absl::StatusOr<bool> NatsBus::HoldLease(const std::string& name, const std::string& holder,
                                        std::chrono::milliseconds ttl) {
  constexpr char kKey[] = "holder";
  std::lock_guard<std::mutex> lock(lease_mutex_);
  LeaseState& lease = leases_[name];
  if (lease.bucket == nullptr) {
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = name.c_str();
    config.History = 1;
    config.TTL = Millis(ttl) * kNanosPerMilli;
    // On disk, so the bucket and its holder survive a server restart and the leader renews
    // as before.
    config.StorageType = js_FileStorage;
    natsStatus s = js_CreateKeyValue(&lease.bucket, jetstream_, &config);
    if (s != NATS_OK) s = js_KeyValue(&lease.bucket, jetstream_, name.c_str());
    if (s != NATS_OK) {
      lease.bucket = nullptr;
      return NatsError(absl::StrCat("bus ", options_.url, ": lease ", name), s);
    }
  }
  uint64_t revision = 0;
  natsStatus s = NATS_ERR;
  if (lease.revision != 0) {
    s = kvStore_Update(&revision, lease.bucket, kKey, holder.data(),
                       static_cast<int>(holder.size()), lease.revision);
  }
  // Not held, or lost (expired and taken, or the server restarted): take it if it is free.
  if (s != NATS_OK) {
    s = kvStore_Create(&revision, lease.bucket, kKey, holder.data(),
                       static_cast<int>(holder.size()));
  }
  if (s == NATS_OK) {
    lease.revision = revision;
    return true;
  }
  lease.revision = 0;
  if (!Connected()) {
    return absl::UnavailableError(absl::StrCat("bus ", options_.url, ": not connected"));
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Subscription>> NatsBus::Subscribe(absl::string_view pattern,
                                                                 Handler handler,
                                                                 SubscribeOptions options) {
  if (auto bad = ValidateSubject(pattern, /*wildcards=*/true); !bad.ok()) return bad;
  const std::string subject(pattern);
  auto delivery = std::make_shared<Delivery>();
  delivery->handler = std::move(handler);
  natsSubscription* sub = nullptr;
  natsStatus s = NATS_OK;
  jsErrCode error = static_cast<jsErrCode>(0);
  if (Retained(pattern)) {
    // An ordered consumer: in stream order, no acks, and recreated by the client after the
    // last message it delivered whenever heartbeats stop (a server restart, a gap).
    jsSubOptions sub_options;
    jsSubOptions_Init(&sub_options);
    sub_options.Ordered = true;
    sub_options.Config.DeliverPolicy = options.replay ? js_DeliverAll : js_DeliverNew;
    sub_options.Config.Heartbeat = kConsumerHeartbeatMs * kNanosPerMilli;
    s = js_Subscribe(&sub, jetstream_, subject.c_str(), OnMessage, delivery.get(), nullptr,
                     &sub_options, &error);
  } else {
    s = natsConnection_Subscribe(&sub, connection_, subject.c_str(), OnMessage, delivery.get());
  }
  if (s != NATS_OK) {
    return NatsError(absl::StrCat("bus ", options_.url, ": subscribe ", subject), s, error);
  }
  natsSubscription_SetPendingLimits(sub, static_cast<int>(options.queue_messages),
                                    static_cast<int>(options.queue_bytes));
  // The library may call the handler once more after the subscription is destroyed; it says
  // when it is done with it, and the delivery goes then, so subscribing and unsubscribing (a
  // chat room per subscription) does not grow memory.
  auto* kept = new std::shared_ptr<Delivery>(delivery);
  if (natsSubscription_SetOnCompleteCB(sub, ReleaseDelivery, kept) != NATS_OK) {
    delete kept;
    std::lock_guard<std::mutex> lock(mutex_);
    deliveries_.push_back(delivery);  // kept until the bus goes instead
  }
  return std::unique_ptr<Subscription>(new NatsSubscription(sub, std::move(delivery)));
}

}  // namespace switchboard::bus
