#include "services/ticket/sqlite_event_store.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/ticket/event_page_token.h"
#include "services/ticket/reservation_rules.h"
#include "services/ticket/ticket_migrations.h"

namespace switchboard::ticket {
namespace {

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

// One connection serves every call in turn (db_->mutex()), so there is no wait to bound:
// `deadline` is not needed here.
absl::StatusOr<std::unique_ptr<SqliteEventStore>> SqliteEventStore::Open(const std::string& path) {
  auto db = common::Database::Open(path);
  if (!db.ok()) return db.status();
  if (auto s = (*db)->Migrate(common::store::SqliteMigrations(TicketMigrations())); !s.ok()) {
    return s;
  }
  return std::unique_ptr<SqliteEventStore>(new SqliteEventStore(std::move(*db)));
}

absl::StatusOr<v1::Event> SqliteEventStore::Get(const std::string& id, absl::Time) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->PrepareCached(absl::StrCat(kSelectColumns, " WHERE id = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return EventNotFound(id);
  return EventFromRow(*stmt);
}

absl::StatusOr<EventPage> SqliteEventStore::List(int page_size, const std::string& page_token,
                                                 absl::Time) {
  auto limit_or = PageLimit(page_size, kDefaultPageSize, kMaxPageSize);
  if (!limit_or.ok()) return limit_or.status();
  const int limit = *limit_or;
  auto cursor = DecodePageToken(page_token);
  if (!cursor.ok()) return cursor.status();
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->PrepareCached(absl::StrCat(
      kSelectColumns, " WHERE (starts_at, id) > (?, ?) ORDER BY starts_at, id LIMIT ?"));
  if (!stmt.ok()) return stmt.status();
  // One extra row tells whether another page follows without a second query.
  stmt->Bind(1, cursor->after_start).Bind(2, cursor->after_id).Bind(3, limit + 1);
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

absl::StatusOr<v1::Reservation> SqliteEventStore::Reserve(
    const std::string& event_id, int seats, const std::string& reservation_id,
    const std::function<absl::Status()>& still_wanted, absl::Time) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  v1::Reservation result;
  absl::Status status = common::InTransaction(*db_, [&]() -> absl::Status {
    auto existing = FindReservation(*db_, reservation_id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      result = **existing;
      return CheckRepeatedReserve(result, event_id, seats);
    }
    auto event =
        db_->PrepareCached("SELECT seats_available, price, currency FROM events WHERE id = ?");
    if (!event.ok()) return event.status();
    event->Bind(1, event_id);
    auto row = event->Step();
    if (!row.ok()) return row.status();
    if (!*row) return EventNotFound(event_id);
    const int64_t available = event->ColumnInt(0);
    const int64_t price = event->ColumnInt(1);
    const std::string currency = event->ColumnText(2);
    if (available < seats) return TooFewSeats(event_id, available, seats);
    auto take =
        db_->PrepareCached("UPDATE events SET seats_available = seats_available - ? WHERE id = ?");
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

absl::StatusOr<v1::Reservation> SqliteEventStore::Release(const std::string& reservation_id,
                                                          absl::Time) {
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
    auto give_back =
        db_->PrepareCached("UPDATE events SET seats_available = seats_available + ? WHERE id = ?");
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

absl::StatusOr<int64_t> SqliteEventStore::HeldSeats(const std::string& event_id) {
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
