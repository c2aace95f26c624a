#include "services/booking/postgres_booking_store.h"

#include "absl/strings/str_cat.h"
#include "services/booking/booking_migrations.h"
#include "services/booking/booking_page_token.h"

namespace switchboard::booking {
namespace {

using common::store::PgConnection;
using common::store::PgResult;

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kNanosPerMicro = 1000;

constexpr char kSelectColumns[] =
    "SELECT id, event_id, user_id, seats, amount, currency, status, payment_id, failure_code, "
    "failure_reason, created_us, owed_compensation FROM bookings";

// A taken idempotency key inserts nothing; the caller then reads the winner's booking.
constexpr char kInsert[] =
    "INSERT INTO bookings (id, idempotency_key, event_id, user_id, seats, status, created_us, "
    "updated_us) VALUES ($1, NULLIF($2, ''), $3, $4, $5, $6, $7, $7) "
    "ON CONFLICT (idempotency_key) DO NOTHING";
constexpr char kByKey[] = " WHERE idempotency_key = $1";
constexpr char kById[] = " WHERE id = $1";
constexpr char kUpdate[] =
    "UPDATE bookings SET amount = $1, currency = $2, status = $3, payment_id = $4, "
    "failure_code = $5, failure_reason = $6, owed_compensation = $7, updated_us = $8 "
    "WHERE id = $9";
constexpr char kFirstPage[] = " WHERE user_id = $1 ORDER BY created_us DESC, id DESC LIMIT $2";
constexpr char kLaterPage[] =
    " WHERE user_id = $1 AND (created_us, id) < ($2::BIGINT, $3::TEXT) "
    "ORDER BY created_us DESC, id DESC LIMIT $4";
constexpr char kStale[] = " WHERE status = $1 AND created_us < $2";
constexpr char kOwing[] = " WHERE status = $1 AND owed_compensation != $2";
// Rows another replica's sweep holds are skipped, not waited for: each booking is worked on by
// one sweep, and the others go on with the rest.
constexpr char kClaimStale[] =
    " WHERE status = $1 AND created_us < $2 ORDER BY created_us LIMIT $3 "
    "FOR UPDATE SKIP LOCKED";
constexpr char kClaimOwing[] =
    " WHERE status = $1 AND owed_compensation != $2 ORDER BY created_us LIMIT $3 "
    "FOR UPDATE SKIP LOCKED";
constexpr char kTotals[] =
    "SELECT COALESCE(SUM(CASE WHEN status = $1 THEN seats END), 0), "
    "COALESCE(SUM(CASE WHEN status = $1 THEN amount END), 0), "
    "COALESCE(SUM(CASE WHEN status = $2 THEN 1 END), 0) FROM bookings WHERE event_id = $3";

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t Micros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::string Int(int64_t value) { return absl::StrCat(value); }

// kSelectColumns followed by `rest` (a WHERE clause and what follows).
std::string SelectWhere(const char* rest) { return absl::StrCat(kSelectColumns, rest); }

BookingRecord RecordFromRow(const PgResult& rows, int row) {
  BookingRecord record;
  v1::Booking& b = record.booking;
  b.set_id(rows.Text(row, 0));
  b.set_event_id(rows.Text(row, 1));
  b.set_user_id(rows.Text(row, 2));
  b.set_seats(static_cast<int32_t>(rows.Int(row, 3)));
  b.set_amount(rows.Int(row, 4));
  b.set_currency(rows.Text(row, 5));
  b.set_status(static_cast<v1::Booking::Status>(rows.Int(row, 6)));
  b.set_payment_id(rows.Text(row, 7));
  record.failure_code = static_cast<int>(rows.Int(row, 8));
  b.set_failure_reason(rows.Text(row, 9));
  const int64_t created_us = rows.Int(row, 10);
  b.mutable_created_at()->set_seconds(created_us / kMicrosPerSecond);
  b.mutable_created_at()->set_nanos(
      static_cast<int32_t>((created_us % kMicrosPerSecond) * kNanosPerMicro));
  record.owed = static_cast<OwedCompensation>(rows.Int(row, 11));
  return record;
}

std::vector<BookingRecord> RecordsFrom(const PgResult& rows) {
  std::vector<BookingRecord> records;
  records.reserve(rows.Rows());
  for (int row = 0; row < rows.Rows(); ++row) records.push_back(RecordFromRow(rows, row));
  return records;
}

// The same values written twice leave the row the same: safe to repeat.
absl::Status SaveOn(PgConnection& conn, const BookingRecord& record) {
  const v1::Booking& b = record.booking;
  auto updated = conn.Run(kUpdate, {Int(b.amount()), b.currency(), Int(b.status()), b.payment_id(),
                                    Int(record.failure_code), b.failure_reason(),
                                    Int(static_cast<int>(record.owed)), Int(NowMicros()), b.id()});
  if (!updated.ok()) return updated.status();
  if (updated->Affected() != 1) {
    return absl::NotFoundError(absl::StrCat("booking ", b.id(), " not found"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresBookingStore>> PostgresBookingStore::Open(
    common::store::PgPoolOptions options) {
  auto pool = std::make_unique<common::store::PgPool>(std::move(options));
  absl::Status migrated = pool->RunIdempotent(absl::InfiniteFuture(), [](PgConnection& conn) {
    return common::store::MigratePostgres(conn, kBookingSchema, BookingMigrations());
  });
  if (!migrated.ok()) return migrated;
  return std::unique_ptr<PostgresBookingStore>(new PostgresBookingStore(std::move(pool)));
}

absl::StatusOr<std::pair<BookingRecord, bool>> PostgresBookingStore::Begin(
    const v1::Booking& pending, const std::string& idempotency_key, absl::Time deadline) {
  std::pair<BookingRecord, bool> result;
  absl::Status status = pool_->InTransaction(deadline, [&](PgConnection& conn) -> absl::Status {
    BookingRecord record{pending};
    const int64_t now = NowMicros();
    record.booking.mutable_created_at()->set_seconds(now / kMicrosPerSecond);
    record.booking.mutable_created_at()->set_nanos(
        static_cast<int32_t>((now % kMicrosPerSecond) * kNanosPerMicro));
    auto inserted =
        conn.Run(kInsert, {pending.id(), idempotency_key, pending.event_id(), pending.user_id(),
                           Int(pending.seats()), Int(pending.status()), Int(now)});
    if (!inserted.ok()) return inserted.status();
    if (inserted->Affected() == 1) {
      result = {record, true};
      return absl::OkStatus();
    }
    // The key was taken, on this replica or another, by a transaction that has committed
    // (the insert waited for it): its booking is the answer.
    auto winner = conn.Run(SelectWhere(kByKey), {idempotency_key});
    if (!winner.ok()) return winner.status();
    if (winner->Rows() != 1) {
      return absl::InternalError(absl::StrCat("idempotency_key ", idempotency_key,
                                              " is taken but its booking is not found"));
    }
    result = {RecordFromRow(*winner, 0), false};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::Status PostgresBookingStore::Save(const BookingRecord& record) {
  return pool_->RunIdempotent(absl::InfiniteFuture(),
                              [&](PgConnection& conn) { return SaveOn(conn, record); });
}

absl::StatusOr<std::vector<BookingRecord>> PostgresBookingStore::Select(
    const std::string& sql, const std::vector<std::string>& params, absl::Time deadline) {
  std::vector<BookingRecord> records;
  absl::Status status = pool_->RunIdempotent(deadline, [&](PgConnection& conn) -> absl::Status {
    auto rows = conn.Run(sql, params);
    if (!rows.ok()) return rows.status();
    records = RecordsFrom(*rows);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return records;
}

absl::StatusOr<BookingRecord> PostgresBookingStore::Get(const std::string& id,
                                                        absl::Time deadline) {
  auto found = Select(SelectWhere(kById), {id}, deadline);
  if (!found.ok()) return found.status();
  if (found->empty()) return absl::NotFoundError(absl::StrCat("booking \"", id, "\" not found"));
  return std::move(found->front());
}

absl::StatusOr<BookingPage> PostgresBookingStore::ListByUser(const std::string& user_id,
                                                             int page_size,
                                                             const std::string& page_token,
                                                             absl::Time deadline) {
  auto limit = BookingPageLimit(page_size, kDefaultPageSize, kMaxPageSize);
  if (!limit.ok()) return limit.status();
  auto cursor = DecodeBookingPageToken(page_token);
  if (!cursor.ok()) return cursor.status();
  // One extra row tells whether another page follows without a second query.
  auto records =
      page_token.empty()
          ? Select(SelectWhere(kFirstPage), {user_id, Int(*limit + 1)}, deadline)
          : Select(SelectWhere(kLaterPage),
                   {user_id, Int(cursor->before_us), cursor->before_id, Int(*limit + 1)}, deadline);
  if (!records.ok()) return records.status();
  BookingPage page;
  for (auto& record : *records) page.bookings.push_back(std::move(record.booking));
  if (static_cast<int>(page.bookings.size()) > *limit) {
    page.bookings.pop_back();
    page.next_page_token = EncodeBookingPageToken(page.bookings.back());
  }
  return page;
}

absl::StatusOr<std::vector<BookingRecord>> PostgresBookingStore::StalePending(
    std::chrono::system_clock::time_point older_than) {
  return Select(SelectWhere(kStale), {Int(v1::Booking::STATUS_PENDING), Int(Micros(older_than))},
                absl::InfiniteFuture());
}

absl::StatusOr<std::vector<BookingRecord>> PostgresBookingStore::OwingCompensation() {
  return Select(SelectWhere(kOwing),
                {Int(v1::Booking::STATUS_FAILED), Int(static_cast<int>(OwedCompensation::kNone))},
                absl::InfiniteFuture());
}

absl::Status PostgresBookingStore::Claim(const std::string& sql,
                                         const std::vector<std::string>& params,
                                         const Recover& recover) {
  return pool_->InTransaction(absl::InfiniteFuture(), [&](PgConnection& conn) -> absl::Status {
    auto rows = conn.Run(sql, params);
    if (!rows.ok()) return rows.status();
    for (const BookingRecord& record : RecordsFrom(*rows)) {
      std::optional<BookingRecord> next = recover(record);
      if (!next.has_value()) continue;
      if (auto saved = SaveOn(conn, *next); !saved.ok()) return saved;
    }
    return absl::OkStatus();
  });
}

absl::Status PostgresBookingStore::RecoverStalePending(
    std::chrono::system_clock::time_point older_than, const Recover& recover) {
  return Claim(SelectWhere(kClaimStale),
               {Int(v1::Booking::STATUS_PENDING), Int(Micros(older_than)), Int(kRecoveryBatch)},
               recover);
}

absl::Status PostgresBookingStore::RecoverOwingCompensation(const Recover& recover) {
  return Claim(SelectWhere(kClaimOwing),
               {Int(v1::Booking::STATUS_FAILED), Int(static_cast<int>(OwedCompensation::kNone)),
                Int(kRecoveryBatch)},
               recover);
}

absl::StatusOr<BookingStore::Totals> PostgresBookingStore::TotalsForEvent(
    const std::string& event_id) {
  Totals totals;
  absl::Status status =
      pool_->RunIdempotent(absl::InfiniteFuture(), [&](PgConnection& conn) -> absl::Status {
        auto rows = conn.Run(kTotals, {Int(v1::Booking::STATUS_CONFIRMED),
                                       Int(v1::Booking::STATUS_PENDING), event_id});
        if (!rows.ok()) return rows.status();
        totals = Totals{rows->Int(0, 0), rows->Int(0, 1), rows->Int(0, 2)};
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return totals;
}

}  // namespace switchboard::booking
