#include "services/ticket/ticket_migrations.h"

namespace switchboard::ticket {
namespace {

// The seed catalogue: plain SQL that both engines read alike.
constexpr char kSeedCatalogue[] = R"sql(
  INSERT INTO events VALUES
    ('evt-1', 'The Protocol Buffers', 'Union Chapel, London', 1798794000, 900, 900, 4500, 'GBP'),
    ('evt-2', 'Deadline Propagation Live', 'Paradiso, Amsterdam', 1799398800, 1500, 1500, 3900, 'EUR'),
    ('evt-3', 'Head-of-Line Blues', 'Blue Note, New York', 1800003600, 300, 300, 6000, 'USD'),
    ('evt-4', 'Trailers Only', 'Lido, Berlin', 1800608400, 700, 700, 3200, 'EUR'),
    ('evt-5', 'The Flow Control Orchestra', 'Royal Albert Hall, London', 1801213200, 5200, 5200, 8500, 'GBP'),
    ('evt-6', 'Round Robin and the Replicas', 'Fillmore, San Francisco', 1801818000, 1150, 1150, 5500, 'USD'),
    ('evt-7', 'Bidirectional', 'Olympia, Paris', 1802422800, 2000, 2000, 4900, 'EUR'),
    ('evt-8', 'Keepalive Sessions', 'Vega, Copenhagen', 1803027600, 1550, 1550, 4200, 'DKK'),
    ('evt-9', 'Half-Closed Remote', 'Razzmatazz, Barcelona', 1803632400, 1000, 1000, 3000, 'EUR'),
    ('evt-10', 'Small Venue Showcase', 'The Cellar, Oxford', 1804237200, 100, 100, 1500, 'GBP'),
    ('evt-11', 'Server Push (Deprecated)', 'Tivoli, Utrecht', 1804842000, 2000, 2000, 3500, 'EUR'),
    ('evt-12', 'Status Codes Unplugged', 'Astra, Berlin', 1805446800, 1500, 1500, 2800, 'EUR');
)sql";

}  // namespace

// SQLite's INTEGER is 64-bit; PostgreSQL's is 32-bit, so times and money are BIGINT there.
const std::vector<common::store::VersionedMigration>& TicketMigrations() {
  static const std::vector<common::store::VersionedMigration> kMigrations = {
      {1, "events table",
       R"sql(
        CREATE TABLE events (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          venue TEXT NOT NULL,
          starts_at INTEGER NOT NULL,
          capacity INTEGER NOT NULL CHECK (capacity >= 0),
          seats_available INTEGER NOT NULL CHECK (seats_available BETWEEN 0 AND capacity),
          price INTEGER NOT NULL CHECK (price >= 0),
          currency TEXT NOT NULL
        );
        CREATE INDEX events_by_start ON events (starts_at, id);
      )sql",
       R"sql(
        CREATE TABLE events (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          venue TEXT NOT NULL,
          starts_at BIGINT NOT NULL,
          capacity INTEGER NOT NULL CHECK (capacity >= 0),
          seats_available INTEGER NOT NULL CHECK (seats_available BETWEEN 0 AND capacity),
          price BIGINT NOT NULL CHECK (price >= 0),
          currency TEXT NOT NULL
        );
        CREATE INDEX events_by_start ON events (starts_at, id);
      )sql"},
      {2, "seed catalogue", kSeedCatalogue, kSeedCatalogue},
      {3, "reservations table",
       R"sql(
        CREATE TABLE reservations (
          id TEXT PRIMARY KEY,
          event_id TEXT NOT NULL,
          seats INTEGER NOT NULL CHECK (seats >= 0),
          state INTEGER NOT NULL,
          amount INTEGER NOT NULL,
          currency TEXT NOT NULL,
          updated_at INTEGER NOT NULL DEFAULT (unixepoch())
        );
        CREATE INDEX reservations_by_event ON reservations (event_id, state);
      )sql",
       R"sql(
        CREATE TABLE reservations (
          id TEXT PRIMARY KEY,
          event_id TEXT NOT NULL,
          seats INTEGER NOT NULL CHECK (seats >= 0),
          state INTEGER NOT NULL,
          amount BIGINT NOT NULL,
          currency TEXT NOT NULL,
          updated_at BIGINT NOT NULL DEFAULT (extract(epoch FROM now())::BIGINT)
        );
        CREATE INDEX reservations_by_event ON reservations (event_id, state);
      )sql"},
  };
  return kMigrations;
}

}  // namespace switchboard::ticket
