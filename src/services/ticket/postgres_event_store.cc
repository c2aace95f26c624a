#include "services/ticket/postgres_event_store.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "services/ticket/event_page_token.h"
#include "services/ticket/reservation_rules.h"
#include "services/ticket/ticket_migrations.h"

namespace switchboard::ticket {
namespace {

using common::store::PgConnection;
using common::store::PgResult;

constexpr char kSelectEvent[] =
    "SELECT id, name, venue, starts_at, capacity, seats_available, price, currency FROM events "
    "WHERE id = $1";
constexpr char kSelectPage[] =
    "SELECT id, name, venue, starts_at, capacity, seats_available, price, currency FROM events "
    "WHERE (starts_at, id) > ($1::BIGINT, $2::TEXT) ORDER BY starts_at, id LIMIT $3";
// Locks the reservation row, so two replicas handling the same id take turns.
constexpr char kSelectReservationForUpdate[] =
    "SELECT id, event_id, seats, state, amount, currency FROM reservations WHERE id = $1 "
    "FOR UPDATE";
// The seat count is checked and decremented in one statement: the row lock it takes orders
// concurrent reservations, and none can take seats the previous one already took.
constexpr char kTakeSeats[] =
    "UPDATE events SET seats_available = seats_available - $1::INTEGER "
    "WHERE id = $2 AND seats_available >= $1::INTEGER RETURNING price, currency";
constexpr char kSeatsLeft[] = "SELECT seats_available FROM events WHERE id = $1";
constexpr char kInsertReservation[] =
    "INSERT INTO reservations (id, event_id, seats, state, amount, currency) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
constexpr char kGiveBackSeats[] =
    "UPDATE events SET seats_available = seats_available + $1::INTEGER WHERE id = $2";
constexpr char kMarkReleased[] =
    "UPDATE reservations SET state = $1, updated_at = extract(epoch FROM now())::BIGINT "
    "WHERE id = $2";
constexpr char kHeldSeats[] =
    "SELECT COALESCE(SUM(seats), 0) FROM reservations WHERE event_id = $1 AND state = $2";

v1::Event EventFromRow(const PgResult& rows, int row) {
  v1::Event event;
  event.set_id(rows.Text(row, 0));
  event.set_name(rows.Text(row, 1));
  event.set_venue(rows.Text(row, 2));
  event.mutable_starts_at()->set_seconds(rows.Int(row, 3));
  event.set_capacity(static_cast<int32_t>(rows.Int(row, 4)));
  event.set_seats_available(static_cast<int32_t>(rows.Int(row, 5)));
  event.set_price(rows.Int(row, 6));
  event.set_currency(rows.Text(row, 7));
  return event;
}

v1::Reservation ReservationFromRow(const PgResult& rows) {
  v1::Reservation reservation;
  reservation.set_reservation_id(rows.Text(0, 0));
  reservation.set_event_id(rows.Text(0, 1));
  reservation.set_seats(static_cast<int32_t>(rows.Int(0, 2)));
  reservation.set_state(static_cast<v1::Reservation::State>(rows.Int(0, 3)));
  reservation.set_amount(rows.Int(0, 4));
  reservation.set_currency(rows.Text(0, 5));
  return reservation;
}

absl::StatusOr<std::optional<v1::Reservation>> LockReservation(PgConnection& conn,
                                                               const std::string& id) {
  auto rows = conn.Run(kSelectReservationForUpdate, {id});
  if (!rows.ok()) return rows.status();
  if (rows->Rows() == 0) return std::optional<v1::Reservation>();
  return std::optional<v1::Reservation>(ReservationFromRow(*rows));
}

// A concurrent insert of the same id on another replica fails this one with a unique-key
// conflict; the pool then runs the whole transaction again, which finds that reservation.
absl::Status InsertReservation(PgConnection& conn, const v1::Reservation& r) {
  return conn
      .Run(kInsertReservation,
           {r.reservation_id(), r.event_id(), absl::StrCat(r.seats()),
            absl::StrCat(static_cast<int>(r.state())), absl::StrCat(r.amount()), r.currency()})
      .status();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresEventStore>> PostgresEventStore::Open(
    common::store::PgPoolOptions options) {
  auto pool = std::make_unique<common::store::PgPool>(std::move(options));
  absl::Status migrated = pool->RunIdempotent(absl::InfiniteFuture(), [](PgConnection& conn) {
    return common::store::MigratePostgres(conn, kTicketSchema, TicketMigrations());
  });
  if (!migrated.ok()) return migrated;
  return std::unique_ptr<PostgresEventStore>(new PostgresEventStore(std::move(pool)));
}

absl::StatusOr<v1::Event> PostgresEventStore::Get(const std::string& id, absl::Time deadline) {
  v1::Event event;
  absl::Status status = pool_->RunIdempotent(deadline, [&](PgConnection& conn) -> absl::Status {
    auto rows = conn.Run(kSelectEvent, {id});
    if (!rows.ok()) return rows.status();
    if (rows->Rows() == 0) return EventNotFound(id);
    event = EventFromRow(*rows, 0);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return event;
}

absl::StatusOr<EventPage> PostgresEventStore::List(int page_size, const std::string& page_token,
                                                   absl::Time deadline) {
  auto limit = PageLimit(page_size, kDefaultPageSize, kMaxPageSize);
  if (!limit.ok()) return limit.status();
  auto cursor = DecodePageToken(page_token);
  if (!cursor.ok()) return cursor.status();
  EventPage page;
  absl::Status status = pool_->RunIdempotent(deadline, [&](PgConnection& conn) -> absl::Status {
    page.events.clear();
    // One extra row tells whether another page follows without a second query.
    auto rows = conn.Run(kSelectPage, {absl::StrCat(cursor->after_start), cursor->after_id,
                                       absl::StrCat(*limit + 1)});
    if (!rows.ok()) return rows.status();
    for (int row = 0; row < rows->Rows(); ++row) page.events.push_back(EventFromRow(*rows, row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.events.size()) > *limit) {
    page.events.pop_back();
    page.next_page_token = EncodePageToken(page.events.back());
  }
  return page;
}

absl::StatusOr<v1::Reservation> PostgresEventStore::Reserve(
    const std::string& event_id, int seats, const std::string& reservation_id,
    const std::function<absl::Status()>& still_wanted, absl::Time deadline) {
  v1::Reservation result;
  absl::Status status = pool_->InTransaction(deadline, [&](PgConnection& conn) -> absl::Status {
    result.Clear();
    auto existing = LockReservation(conn, reservation_id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      result = **existing;
      return CheckRepeatedReserve(result, event_id, seats);
    }
    auto taken = conn.Run(kTakeSeats, {absl::StrCat(seats), event_id});
    if (!taken.ok()) return taken.status();
    if (taken->Rows() == 0) {
      auto left = conn.Run(kSeatsLeft, {event_id});
      if (!left.ok()) return left.status();
      if (left->Rows() == 0) return EventNotFound(event_id);
      return TooFewSeats(event_id, left->Int(0, 0), seats);
    }
    result.set_reservation_id(reservation_id);
    result.set_event_id(event_id);
    result.set_seats(seats);
    result.set_state(v1::Reservation::STATE_HELD);
    result.set_amount(taken->Int(0, 0) * seats);
    result.set_currency(taken->Text(0, 1));
    if (auto s = InsertReservation(conn, result); !s.ok()) return s;
    return still_wanted();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::Reservation> PostgresEventStore::Release(const std::string& reservation_id,
                                                            absl::Time deadline) {
  v1::Reservation result;
  absl::Status status = pool_->InTransaction(deadline, [&](PgConnection& conn) -> absl::Status {
    result.Clear();
    auto existing = LockReservation(conn, reservation_id);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) {
      // A tombstone: a ReserveSeats for this id that arrives late is refused.
      result.set_reservation_id(reservation_id);
      result.set_state(v1::Reservation::STATE_RELEASED);
      return InsertReservation(conn, result);
    }
    result = **existing;
    if (result.state() == v1::Reservation::STATE_RELEASED) return absl::OkStatus();
    auto given_back = conn.Run(kGiveBackSeats, {absl::StrCat(result.seats()), result.event_id()});
    if (!given_back.ok()) return given_back.status();
    auto marked =
        conn.Run(kMarkReleased,
                 {absl::StrCat(static_cast<int>(v1::Reservation::STATE_RELEASED)), reservation_id});
    if (!marked.ok()) return marked.status();
    result.set_state(v1::Reservation::STATE_RELEASED);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int64_t> PostgresEventStore::HeldSeats(const std::string& event_id) {
  int64_t held = 0;
  absl::Status status = pool_->RunIdempotent(absl::InfiniteFuture(), [&](PgConnection& conn) {
    auto rows = conn.Run(kHeldSeats,
                         {event_id, absl::StrCat(static_cast<int>(v1::Reservation::STATE_HELD))});
    if (!rows.ok()) return rows.status();
    held = rows->Int(0, 0);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return held;
}

}  // namespace switchboard::ticket
