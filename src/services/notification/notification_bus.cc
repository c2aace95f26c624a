#include "services/notification/notification_bus.h"

#include "common/bus/subject.h"

namespace switchboard::notification {

std::string UserSubject(const std::string& user_id) {
  return "sb.notify." + bus::SubjectToken(user_id);
}

bus::StreamSpec NotifyStreamSpec(const NotificationConfig& config) {
  bus::StreamSpec spec;
  spec.name = kNotifyStream;
  spec.subjects = kEveryUserSubject;
  spec.max_age = config.resume_window;
  spec.max_messages = config.resume_max;
  spec.max_messages_per_subject = config.resume_max;
  return spec;
}

}  // namespace switchboard::notification
