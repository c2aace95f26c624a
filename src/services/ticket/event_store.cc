#include "services/ticket/event_store.h"

#include <algorithm>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard::ticket {
namespace {

const std::vector<common::Migration>& Migrations() {
  static const std::vector<common::Migration> kMigrations = {
      {1, "events table", R"sql(
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
      )sql"},
      {2, "seed catalogue", R"sql(
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
      )sql"},
      {3, "reservations table", R"sql(
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
      )sql"},
  };
  return kMigrations;
}

constexpr char kSelectColumns[] =
    "SELECT id, name, venue, starts_at, capacity, seats_available, price, currency FROM events";

v1::Event EventFromRow(const common::Statement& row) {
  v1::Event event;
  event.set_id(row.ColumnText(0));
  event.set_name(row.ColumnText(1));
  event.set_venue(row.ColumnText(2));
  event.mutable_starts_at()->set_seconds(row.ColumnInt(3));
  event.set_capacity(static_cast<int32_t>(row.ColumnInt(4)));
  event.set_seats_available(static_cast<int32_t>(row.ColumnInt(5)));
  event.set_price(row.ColumnInt(6));
  event.set_currency(row.ColumnText(7));
  return event;
}

// A page token is the sort key of the last event returned, opaque to clients.
std::string EncodePageToken(const v1::Event& last) {
  return absl::WebSafeBase64Escape(absl::StrCat(last.starts_at().seconds(), "|", last.id()));
}

absl::Status BadPageToken() {
  return absl::InvalidArgumentError(
      "page_token: not a next_page_token returned by an earlier ListEvents call");
}

constexpr char kSelectReservation[] =
    "SELECT id, event_id, seats, state, amount, currency FROM reservations WHERE id = ?";

v1::Reservation ReservationFromRow(const common::Statement& row) {
  v1::Reservation reservation;
  reservation.set_reservation_id(row.ColumnText(0));
  reservation.set_event_id(row.ColumnText(1));
  reservation.set_seats(static_cast<int32_t>(row.ColumnInt(2)));
  reservation.set_state(static_cast<v1::Reservation::State>(row.ColumnInt(3)));
  reservation.set_amount(row.ColumnInt(4));
  reservation.set_currency(row.ColumnText(5));
  return reservation;
}

// Looks a reservation up inside the caller's transaction.
absl::StatusOr<std::optional<v1::Reservation>> FindReservation(common::Database& db,
                                                               const std::string& id) {
  auto stmt = db.PrepareCached(kSelectReservation);
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<v1::Reservation>();
  return std::optional<v1::Reservation>(ReservationFromRow(*stmt));
}

absl::Status InsertReservation(common::Database& db, const v1::Reservation& r) {
  auto stmt = db.PrepareCached(
      "INSERT INTO reservations (id, event_id, seats, state, amount, currency) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, r.reservation_id())
      .Bind(2, r.event_id())
      .Bind(3, r.seats())
      .Bind(4, static_cast<int>(r.state()))
      .Bind(5, r.amount())
      .Bind(6, r.currency());
  return stmt->Run();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path) {
  auto db = common::Database::Open(path);
  if (!db.ok()) return db.status();
  if (auto s = (*db)->Migrate(Migrations()); !s.ok()) return s;
  return std::unique_ptr<EventStore>(new EventStore(std::move(*db)));
}

absl::StatusOr<v1::Event> EventStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->PrepareCached(absl::StrCat(kSelectColumns, " WHERE id = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("event \"", id, "\" not found"));
  return EventFromRow(*stmt);
}

absl::StatusOr<EventPage> EventStore::List(int page_size, const std::string& page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", page_size, " is negative (use 0 for the default)"));
  }
  const int limit = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  int64_t after_start = INT64_MIN;
  std::string after_id;
  if (!page_token.empty()) {
    std::string decoded;
    if (!absl::WebSafeBase64Unescape(page_token, &decoded)) return BadPageToken();
    std::vector<std::string> parts = absl::StrSplit(decoded, absl::MaxSplits('|', 1));
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &after_start)) return BadPageToken();
    after_id = parts[1];
  }
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->PrepareCached(absl::StrCat(
      kSelectColumns, " WHERE (starts_at, id) > (?, ?) ORDER BY starts_at, id LIMIT ?"));
  if (!stmt.ok()) return stmt.status();
  // One extra row tells whether another page follows without a second query.
  stmt->Bind(1, after_start).Bind(2, after_id).Bind(3, limit + 1);
  EventPage page;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    page.events.push_back(EventFromRow(*stmt));
  }
  if (static_cast<int>(page.events.size()) > limit) {
    page.events.pop_back();
    page.next_page_token = EncodePageToken(page.events.back());
  }
  return page;
}

}  // namespace switchboard::ticket

namespace switchboard::ticket {

absl::StatusOr<v1::Reservation> EventStore::Reserve(
    const std::string& event_id, int seats, const std::string& reservation_id,
    const std::function<absl::Status()>& still_wanted) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  v1::Reservation result;
  absl::Status status = common::InTransaction(*db_, [&]() -> absl::Status {
    auto existing = FindReservation(*db_, reservation_id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      const v1::Reservation& r = **existing;
      if (r.state() == v1::Reservation::STATE_RELEASED) {
        return absl::AbortedError(absl::StrCat("reservation ", reservation_id,
                                               " was already released"));
      }
      if (r.event_id() != event_id || r.seats() != seats) {
        return absl::InvalidArgumentError(absl::StrCat(
            "reservation_id ", reservation_id, " already holds ", r.seats(), " seats of ",
            r.event_id()));
      }
      result = r;
      return absl::OkStatus();
    }
    auto event = db_->PrepareCached("SELECT seats_available, price, currency FROM events WHERE id = ?");
    if (!event.ok()) return event.status();
    event->Bind(1, event_id);
    auto row = event->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::NotFoundError(absl::StrCat("event \"", event_id, "\" not found"));
    const int64_t available = event->ColumnInt(0);
    const int64_t price = event->ColumnInt(1);
    const std::string currency = event->ColumnText(2);
    if (available < seats) {
      return absl::FailedPreconditionError(absl::StrCat(
          "event ", event_id, " has ", available, " seats left, ", seats, " requested"));
    }
    auto take = db_->PrepareCached(
        "UPDATE events SET seats_available = seats_available - ? WHERE id = ?");
    if (!take.ok()) return take.status();
    take->Bind(1, seats).Bind(2, event_id);
    if (auto s = take->Run(); !s.ok()) return s;
    result.set_reservation_id(reservation_id);
    result.set_event_id(event_id);
    result.set_seats(seats);
    result.set_state(v1::Reservation::STATE_HELD);
    result.set_amount(price * seats);
    result.set_currency(currency);
    if (auto s = InsertReservation(*db_, result); !s.ok()) return s;
    return still_wanted();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::Reservation> EventStore::Release(const std::string& reservation_id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  v1::Reservation result;
  absl::Status status = common::InTransaction(*db_, [&]() -> absl::Status {
    auto existing = FindReservation(*db_, reservation_id);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) {
      // A tombstone: a ReserveSeats for this id that arrives late is refused.
      result.set_reservation_id(reservation_id);
      result.set_state(v1::Reservation::STATE_RELEASED);
      return InsertReservation(*db_, result);
    }
    result = **existing;
    if (result.state() == v1::Reservation::STATE_RELEASED) return absl::OkStatus();
    auto give_back = db_->PrepareCached(
        "UPDATE events SET seats_available = seats_available + ? WHERE id = ?");
    if (!give_back.ok()) return give_back.status();
    give_back->Bind(1, result.seats()).Bind(2, result.event_id());
    if (auto s = give_back->Run(); !s.ok()) return s;
    auto mark = db_->PrepareCached(
        "UPDATE reservations SET state = ?, updated_at = unixepoch() WHERE id = ?");
    if (!mark.ok()) return mark.status();
    mark->Bind(1, static_cast<int>(v1::Reservation::STATE_RELEASED)).Bind(2, reservation_id);
    if (auto s = mark->Run(); !s.ok()) return s;
    result.set_state(v1::Reservation::STATE_RELEASED);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int64_t> EventStore::HeldSeats(const std::string& event_id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->Prepare(
      "SELECT COALESCE(SUM(seats), 0) FROM reservations WHERE event_id = ? AND state = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, event_id).Bind(2, static_cast<int>(v1::Reservation::STATE_HELD));
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return stmt->ColumnInt(0);
}

}  // namespace switchboard::ticket
