#include "services/ticket/ticket_config.h"

#include "common/store/store_settings.h"
#include "common/system_config.h"

namespace switchboard::ticket {
namespace {

constexpr int64_t kMaxSeatsPerReservationCeiling = 10000;

}  // namespace

absl::StatusOr<TicketConfig> ReadTicketConfig(const YAML::Node& node) {
  common::Settings settings(node, "services.ticket");
  TicketConfig config;
  config.database = settings.String("database", config.database);
  config.max_seats_per_reservation =
      static_cast<int>(settings.Int("max_seats_per_reservation", config.max_seats_per_reservation,
                                    1, kMaxSeatsPerReservationCeiling));
  config.deadline_policy = common::ReadDeadlinePolicy(settings);
  auto store = common::store::ReadStoreSettings(settings, "services.ticket");
  if (!store.ok()) return store.status();
  config.store = *store;
  if (auto s = settings.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace switchboard::ticket
