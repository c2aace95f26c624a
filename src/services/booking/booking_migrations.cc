#include "services/booking/booking_migrations.h"

namespace switchboard::booking {

// SQLite's INTEGER is 64-bit; PostgreSQL's is 32-bit, so times and money are BIGINT there.
const std::vector<common::store::VersionedMigration>& BookingMigrations() {
  static const std::vector<common::store::VersionedMigration> kMigrations = {
      {1, "bookings table",
       R"sql(
        CREATE TABLE bookings (
          id TEXT PRIMARY KEY,
          idempotency_key TEXT UNIQUE,
          event_id TEXT NOT NULL,
          user_id TEXT NOT NULL,
          seats INTEGER NOT NULL,
          amount INTEGER NOT NULL DEFAULT 0,
          currency TEXT NOT NULL DEFAULT '',
          status INTEGER NOT NULL,
          payment_id TEXT NOT NULL DEFAULT '',
          failure_code INTEGER NOT NULL DEFAULT 0,
          failure_reason TEXT NOT NULL DEFAULT '',
          created_us INTEGER NOT NULL,
          updated_us INTEGER NOT NULL
        );
        CREATE INDEX bookings_by_user ON bookings (user_id, created_us DESC, id DESC);
        CREATE INDEX bookings_by_status ON bookings (status, created_us);
        CREATE INDEX bookings_by_event ON bookings (event_id, status);
      )sql",
       R"sql(
        CREATE TABLE bookings (
          id TEXT PRIMARY KEY,
          idempotency_key TEXT UNIQUE,
          event_id TEXT NOT NULL,
          user_id TEXT NOT NULL,
          seats INTEGER NOT NULL,
          amount BIGINT NOT NULL DEFAULT 0,
          currency TEXT NOT NULL DEFAULT '',
          status INTEGER NOT NULL,
          payment_id TEXT NOT NULL DEFAULT '',
          failure_code INTEGER NOT NULL DEFAULT 0,
          failure_reason TEXT NOT NULL DEFAULT '',
          created_us BIGINT NOT NULL,
          updated_us BIGINT NOT NULL
        );
        CREATE INDEX bookings_by_user ON bookings (user_id, created_us DESC, id DESC);
        CREATE INDEX bookings_by_status ON bookings (status, created_us);
        CREATE INDEX bookings_by_event ON bookings (event_id, status);
      )sql"},
      // A booking is FAILED as soon as its chain fails; what it still owes to be undone is
      // kept beside it (OwedCompensation) for the background retry.
      {2, "owed compensation",
       R"sql(
        ALTER TABLE bookings ADD COLUMN owed_compensation INTEGER NOT NULL DEFAULT 0;
      )sql",
       R"sql(
        ALTER TABLE bookings ADD COLUMN owed_compensation INTEGER NOT NULL DEFAULT 0;
      )sql"},
  };
  return kMigrations;
}

}  // namespace switchboard::booking
