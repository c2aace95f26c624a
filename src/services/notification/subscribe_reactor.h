// One Subscribe stream: a bounded queue that ends the stream with RESOURCE_EXHAUSTED when the
// client reads too slowly, because a notification must never be lost silently.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>

#include "common/queued_write_reactor.h"
#include "services/notification/subscriber.h"
#include "switchboard/notification/v1/notification.pb.h"

namespace switchboard::notification {

inline constexpr char kShuttingDownMessage[] = "server shutting down";

class SubscribeReactor final : public common::QueuedWriteReactor<v1::Notification>,
                               public Subscriber {
 public:
  explicit SubscribeReactor(size_t queue_capacity)
      : QueuedWriteReactor(queue_capacity, common::Overflow::kFail) {}

  // Headers go out as soon as the subscription is live, so a client can wait for them
  // (WaitForInitialMetadata) to know no later notification will be missed. The registry calls
  // this under its lock before any Deliver, so it precedes every write.
  void OnRegistered() override { StartSendInitialMetadata(); }
  bool Deliver(const v1::Notification& notification) override { return Send(notification); }
  void OnShutdown() override {
    Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDownMessage));
  }
};

}  // namespace switchboard::notification
