// The ticket schema, one numbered list for SQLite and PostgreSQL alike.
#pragma once

#include <vector>

#include "common/store/migrations.h"

namespace switchboard::ticket {

inline constexpr char kTicketSchema[] = "ticket";

const std::vector<common::store::VersionedMigration>& TicketMigrations();

}  // namespace switchboard::ticket
