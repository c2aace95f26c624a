// How notifications travel between replicas on a shared bus: one retained subject per user
// (so the bus keeps one order per user and the resume window), and the stream that retains them.
#pragma once

#include <string>

#include "common/bus/bus.h"
#include "services/notification/notification_config.h"

namespace switchboard::notification {

inline constexpr char kNotifyStream[] = "SB_NOTIFY";
inline constexpr char kEveryUserSubject[] = "sb.notify.>";

// "sb.notify.<user id in hex>": any user id becomes one subject token.
std::string UserSubject(const std::string& user_id);
bus::StreamSpec NotifyStreamSpec(const NotificationConfig& config);

}  // namespace switchboard::notification
