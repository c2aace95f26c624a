// The booking schema, one numbered list for SQLite and PostgreSQL alike.
#pragma once

#include <vector>

#include "common/store/migrations.h"

namespace switchboard::booking {

inline constexpr char kBookingSchema[] = "booking";

const std::vector<common::store::VersionedMigration>& BookingMigrations();

}  // namespace switchboard::booking
