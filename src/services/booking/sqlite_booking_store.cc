#include "services/booking/sqlite_booking_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/booking/booking_migrations.h"
#include "services/booking/booking_page_token.h"

namespace switchboard::booking {
namespace {

constexpr char kColumns[] =
    "SELECT id, event_id, user_id, seats, amount, currency, status, payment_id, failure_code, "
    "failure_reason, created_us, owed_compensation FROM bookings";

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

BookingRecord RecordFromRow(const common::Statement& row) {
  BookingRecord record;
  v1::Booking& b = record.booking;
  b.set_id(row.ColumnText(0));
  b.set_event_id(row.ColumnText(1));
  b.set_user_id(row.ColumnText(2));
  b.set_seats(static_cast<int32_t>(row.ColumnInt(3)));
  b.set_amount(row.ColumnInt(4));
  b.set_currency(row.ColumnText(5));
  b.set_status(static_cast<v1::Booking::Status>(row.ColumnInt(6)));
  b.set_payment_id(row.ColumnText(7));
  record.failure_code = static_cast<int>(row.ColumnInt(8));
  b.set_failure_reason(row.ColumnText(9));
  const int64_t created_us = row.ColumnInt(10);
  b.mutable_created_at()->set_seconds(created_us / 1000000);
  b.mutable_created_at()->set_nanos(static_cast<int32_t>(created_us % 1000000) * 1000);
  record.owed = static_cast<OwedCompensation>(row.ColumnInt(11));
  return record;
}

}  // namespace

// One connection serves every call in turn (db_->mutex()), so there is no wait to bound:
// `deadline` is not needed here.
absl::StatusOr<std::unique_ptr<SqliteBookingStore>> SqliteBookingStore::Open(
    const std::string& path) {
  auto db = common::Database::Open(path);
  if (!db.ok()) return db.status();
  if (auto s = (*db)->Migrate(common::store::SqliteMigrations(BookingMigrations())); !s.ok()) {
    return s;
  }
  return std::unique_ptr<SqliteBookingStore>(new SqliteBookingStore(std::move(*db)));
}

absl::StatusOr<std::optional<BookingRecord>> SqliteBookingStore::FindLocked(
    const std::string& column, const std::string& value) {
  auto stmt = db_->PrepareCached(absl::StrCat(kColumns, " WHERE ", column, " = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, value);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<BookingRecord>();
  return std::optional<BookingRecord>(RecordFromRow(*stmt));
}

absl::StatusOr<std::pair<BookingRecord, bool>> SqliteBookingStore::Begin(
    const v1::Booking& pending, const std::string& idempotency_key, absl::Time) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  if (!idempotency_key.empty()) {
    auto existing = FindLocked("idempotency_key", idempotency_key);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return std::make_pair(**existing, false);
  }
  auto stmt = db_->PrepareCached(
      "INSERT INTO bookings (id, idempotency_key, event_id, user_id, seats, status, created_us, "
      "updated_us) VALUES (?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  BookingRecord record{pending};
  const int64_t now = NowMicros();
  record.booking.mutable_created_at()->set_seconds(now / 1000000);
  record.booking.mutable_created_at()->set_nanos(static_cast<int32_t>(now % 1000000) * 1000);
  stmt->Bind(1, pending.id())
      .Bind(2, idempotency_key)
      .Bind(3, pending.event_id())
      .Bind(4, pending.user_id())
      .Bind(5, pending.seats())
      .Bind(6, static_cast<int>(pending.status()))
      .Bind(7, now)
      .Bind(8, now);
  if (auto s = stmt->Run(); !s.ok()) return s;
  return std::make_pair(record, true);
}

absl::Status SqliteBookingStore::Save(const BookingRecord& record) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->PrepareCached(
      "UPDATE bookings SET amount = ?, currency = ?, status = ?, payment_id = ?, "
      "failure_code = ?, failure_reason = ?, owed_compensation = ?, updated_us = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  const v1::Booking& b = record.booking;
  stmt->Bind(1, b.amount())
      .Bind(2, b.currency())
      .Bind(3, static_cast<int>(b.status()))
      .Bind(4, b.payment_id())
      .Bind(5, record.failure_code)
      .Bind(6, b.failure_reason())
      .Bind(7, static_cast<int>(record.owed))
      .Bind(8, NowMicros())
      .Bind(9, b.id());
  if (auto s = stmt->Run(); !s.ok()) return s;
  if (db_->Changes() != 1)
    return absl::NotFoundError(absl::StrCat("booking ", b.id(), " not found"));
  return absl::OkStatus();
}

absl::StatusOr<BookingRecord> SqliteBookingStore::Get(const std::string& id, absl::Time) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto found = FindLocked("id", id);
  if (!found.ok()) return found.status();
  if (!found->has_value())
    return absl::NotFoundError(absl::StrCat("booking \"", id, "\" not found"));
  return **found;
}

absl::StatusOr<BookingPage> SqliteBookingStore::ListByUser(const std::string& user_id,
                                                           int page_size,
                                                           const std::string& page_token,
                                                           absl::Time) {
  auto limit_or = BookingPageLimit(page_size, kDefaultPageSize, kMaxPageSize);
  if (!limit_or.ok()) return limit_or.status();
  const int limit = *limit_or;
  auto cursor = DecodeBookingPageToken(page_token);
  if (!cursor.ok()) return cursor.status();
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->PrepareCached(absl::StrCat(
      kColumns,
      " WHERE user_id = ? AND (created_us, id) < (?, ?) ORDER BY created_us DESC, id DESC "
      "LIMIT ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, user_id).Bind(2, cursor->before_us).Bind(3, cursor->before_id).Bind(4, limit + 1);
  BookingPage page;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    page.bookings.push_back(RecordFromRow(*stmt).booking);
  }
  if (static_cast<int>(page.bookings.size()) > limit) {
    page.bookings.pop_back();
    page.next_page_token = EncodeBookingPageToken(page.bookings.back());
  }
  return page;
}

absl::StatusOr<std::vector<BookingRecord>> SqliteBookingStore::StalePending(
    std::chrono::system_clock::time_point older_than) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->Prepare(absl::StrCat(kColumns, " WHERE status = ? AND created_us < ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int>(v1::Booking::STATUS_PENDING))
      .Bind(2, static_cast<int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        older_than.time_since_epoch())
                                        .count()));
  std::vector<BookingRecord> records;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    records.push_back(RecordFromRow(*stmt));
  }
  return records;
}

absl::StatusOr<std::vector<BookingRecord>> SqliteBookingStore::OwingCompensation() {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->Prepare(absl::StrCat(kColumns, " WHERE status = ? AND owed_compensation != ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int>(v1::Booking::STATUS_FAILED))
      .Bind(2, static_cast<int>(OwedCompensation::kNone));
  std::vector<BookingRecord> records;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    records.push_back(RecordFromRow(*stmt));
  }
  return records;
}

absl::StatusOr<BookingStore::Totals> SqliteBookingStore::TotalsForEvent(
    const std::string& event_id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->Prepare(
      "SELECT COALESCE(SUM(CASE WHEN status = ? THEN seats END), 0), "
      "COALESCE(SUM(CASE WHEN status = ? THEN amount END), 0), "
      "COALESCE(SUM(CASE WHEN status = ? THEN 1 END), 0) FROM bookings WHERE event_id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int>(v1::Booking::STATUS_CONFIRMED))
      .Bind(2, static_cast<int>(v1::Booking::STATUS_CONFIRMED))
      .Bind(3, static_cast<int>(v1::Booking::STATUS_PENDING))
      .Bind(4, event_id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return Totals{stmt->ColumnInt(0), stmt->ColumnInt(1), stmt->ColumnInt(2)};
}

// One process owns a SQLite file, so the sweep needs no claim: each booking the list returns is
// handed over and saved in turn.
namespace {

absl::Status HandOver(const absl::StatusOr<std::vector<BookingRecord>>& found,
                      const Recover& recover, BookingStore& store) {
  if (!found.ok()) return found.status();
  for (const BookingRecord& record : *found) {
    std::optional<BookingRecord> next = recover(record);
    if (!next.has_value()) continue;
    if (auto saved = store.Save(*next); !saved.ok()) return saved;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SqliteBookingStore::RecoverStalePending(
    std::chrono::system_clock::time_point older_than, const Recover& recover) {
  return HandOver(StalePending(older_than), recover, *this);
}

absl::Status SqliteBookingStore::RecoverOwingCompensation(const Recover& recover) {
  return HandOver(OwingCompensation(), recover, *this);
}

}  // namespace switchboard::booking
