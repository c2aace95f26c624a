// A chat room shared by every replica on one bus. Nothing is stamped here: a join, a text or a
// leave is published on the room's subject, and the bus's order is the room's order. Every
// replica holding the room subscribes to that subject and fans what the bus delivers out to its
// own members, keeping a bounded window of it for joins (the recent history) and resumes (the
// messages after a sequence), so a member may come back on any replica.
//
// Locks: load_mutex_ (loading) before mutex_ (window and members) before the members' own; the
// bus delivers on the subscription's thread, which takes only mutex_.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/bus/bus.h"
#include "services/chat/chat_room.h"
#include "services/chat/room.h"
#include "services/chat/room_window.h"

namespace switchboard::chat {

struct BusRoomLimits {
  size_t history = 0;      // messages replayed to a member on join
  size_t max_members = 1;  // members on this replica at once
  size_t resume_max = 1;   // messages kept for resumes (and the history)
  std::chrono::milliseconds resume_window{1};
  size_t room_queue = 1;  // bus messages waiting for this room's fan-out
  std::chrono::milliseconds load_timeout{1};
};

class BusRoom final : public ChatRoom {
 public:
  BusRoom(std::string name, BusRoomLimits limits, bus::Bus* bus, Clock now_ms);
  ~BusRoom() override;
  BusRoom(const BusRoom&) = delete;
  BusRoom& operator=(const BusRoom&) = delete;

  grpc::Status Enter(ChatMember* member, const std::string& user_id,
                     int64_t after_sequence) override;
  grpc::Status Say(ChatMember* member, const std::string& text) override;
  void Leave(ChatMember* member) override;
  size_t member_count() override;
  int64_t last_active_ms() override;
  // Bus messages this replica dropped because the room's fan-out fell behind.
  int64_t dropped();

 private:
  struct Member {
    std::string user_id;
    // Live messages up to this sequence are not sent: a resume from beyond what this replica
    // had received when the member came.
    int64_t skip_through = 0;
  };

  // Subscribes to the room's subject (replaying what the bus keeps) and waits until this
  // replica has received the room's last message; once per room, retried after a failure.
  grpc::Status Load();
  void OnBusMessage(const bus::Message& message);
  // Publishes a message of this room (stamped with the time, not the sequence) on the bus.
  grpc::Status Publish(v1::ChatMessage::Kind kind, const std::string& user_id,
                       const std::string& text);
  void PublishLeaves(const std::vector<std::string>& user_ids);

  const std::string name_;
  const std::string subject_;
  const BusRoomLimits limits_;
  bus::Bus* const bus_;
  const Clock now_ms_;

  std::mutex load_mutex_;
  bool loaded_ = false;  // guarded by load_mutex_

  std::mutex mutex_;
  std::condition_variable received_;  // signalled as received_through_ grows
  RoomWindow window_;
  int64_t received_through_ = 0;  // the last bus sequence delivered here, kept or not
  std::unordered_map<ChatMember*, Member> members_;
  int64_t last_active_ms_ = 0;

  // Last: destroyed first, so no delivery runs while the rest goes.
  std::unique_ptr<bus::Subscription> subscription_;  // set by Load; guarded by load_mutex_
};

}  // namespace switchboard::chat
