#include "services/booking/booking_store.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard::booking {
namespace {

const std::vector<common::Migration>& Migrations() {
  static const std::vector<common::Migration> kMigrations = {
      {1, "bookings table", R"sql(
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
      )sql"},
      // A booking is FAILED as soon as its chain fails; what it still owes to be undone is
      // kept beside it (OwedCompensation) for the background retry.
      {2, "owed compensation", R"sql(
        ALTER TABLE bookings ADD COLUMN owed_compensation INTEGER NOT NULL DEFAULT 0;
      )sql"},
  };
  return kMigrations;
}

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

int64_t CreatedMicros(const v1::Booking& b) {
  return b.created_at().seconds() * 1000000 + b.created_at().nanos() / 1000;
}

absl::Status BadPageToken() {
  return absl::InvalidArgumentError(
      "page_token: not a next_page_token returned by an earlier ListBookings call");
}

}  // namespace

absl::StatusOr<std::unique_ptr<BookingStore>> BookingStore::Open(const std::string& path) {
  auto db = common::Database::Open(path);
  if (!db.ok()) return db.status();
  if (auto s = (*db)->Migrate(Migrations()); !s.ok()) return s;
  return std::unique_ptr<BookingStore>(new BookingStore(std::move(*db)));
}

absl::StatusOr<std::optional<BookingRecord>> BookingStore::FindLocked(const std::string& column,
                                                                      const std::string& value) {
  auto stmt = db_->PrepareCached(absl::StrCat(kColumns, " WHERE ", column, " = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, value);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<BookingRecord>();
  return std::optional<BookingRecord>(RecordFromRow(*stmt));
}

absl::StatusOr<std::pair<BookingRecord, bool>> BookingStore::Begin(
    const v1::Booking& pending, const std::string& idempotency_key) {
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

absl::Status BookingStore::Save(const BookingRecord& record) {
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
  if (db_->Changes() != 1) return absl::NotFoundError(absl::StrCat("booking ", b.id(), " not found"));
  return absl::OkStatus();
}

absl::StatusOr<BookingRecord> BookingStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto found = FindLocked("id", id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError(absl::StrCat("booking \"", id, "\" not found"));
  return **found;
}

absl::StatusOr<BookingPage> BookingStore::ListByUser(const std::string& user_id, int page_size,
                                                     const std::string& page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", page_size, " is negative"));
  }
  const int limit = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  int64_t before_us = INT64_MAX;
  std::string before_id = "\xff";
  if (!page_token.empty()) {
    std::string decoded;
    if (!absl::WebSafeBase64Unescape(page_token, &decoded)) return BadPageToken();
    std::vector<std::string> parts = absl::StrSplit(decoded, absl::MaxSplits('|', 1));
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &before_us)) return BadPageToken();
    before_id = parts[1];
  }
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->PrepareCached(absl::StrCat(
      kColumns,
      " WHERE user_id = ? AND (created_us, id) < (?, ?) ORDER BY created_us DESC, id DESC "
      "LIMIT ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, user_id).Bind(2, before_us).Bind(3, before_id).Bind(4, limit + 1);
  BookingPage page;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    page.bookings.push_back(RecordFromRow(*stmt).booking);
  }
  if (static_cast<int>(page.bookings.size()) > limit) {
    page.bookings.pop_back();
    const v1::Booking& last = page.bookings.back();
    page.next_page_token =
        absl::WebSafeBase64Escape(absl::StrCat(CreatedMicros(last), "|", last.id()));
  }
  return page;
}

absl::StatusOr<std::vector<BookingRecord>> BookingStore::StalePending(
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

absl::StatusOr<std::vector<BookingRecord>> BookingStore::OwingCompensation() {
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

absl::StatusOr<BookingStore::Totals> BookingStore::TotalsForEvent(const std::string& event_id) {
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

}  // namespace switchboard::booking
