// What the subscriber registry fans notifications out to: one open Subscribe stream, in
// production; a fake in the registry's tests.
#pragma once

#include "switchboard/notification/v1/notification.pb.h"

namespace switchboard::notification {

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called under the registry lock once the subscriber is registered, before any Deliver.
  virtual void OnRegistered() = 0;
  // Called under the registry lock; must only queue, never block. False when the notification
  // was not queued (the stream is over, or it overflowed and is being ended).
  virtual bool Deliver(const v1::Notification& notification) = 0;
  // Called under the registry lock when the server shuts down: end the stream.
  virtual void OnShutdown() = 0;
};

}  // namespace switchboard::notification
