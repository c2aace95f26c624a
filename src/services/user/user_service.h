// UserService: creates and looks up user accounts over gRPC.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "common/service.h"

namespace switchboard::user {

// Unix time in milliseconds; injectable so tests can fix created_at.
using UnixMillisClock = std::function<int64_t()>;

// Settings: the services.user block, read by ReadUserConfig (user_config.h).
absl::StatusOr<std::unique_ptr<common::Service>> MakeUserService(
    const common::ServiceOptions& options);

// As MakeUserService, with the clock that stamps created_at.
absl::StatusOr<std::unique_ptr<common::Service>> MakeUserServiceWithClock(
    const common::ServiceOptions& options, UnixMillisClock clock);

}  // namespace switchboard::user
