#include "services/ticket/event_store.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/temp_dir.h"

namespace switchboard::ticket {
namespace {

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = EventStore::Open(dir_.path() + "/ticket.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  switchboard::testing::TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventStoreTest, SeedsTheCatalogueOnce) {
  auto event = store_->Get("evt-1");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->name(), "The Protocol Buffers");
  EXPECT_EQ(event->seats_available(), event->capacity());
  store_.reset();
  auto reopened = EventStore::Open(dir_.path() + "/ticket.db");
  ASSERT_TRUE(reopened.ok());
  auto page = (*reopened)->List(100, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), 12u) << "seed must not be inserted twice";
}

TEST_F(EventStoreTest, UnknownIdIsNotFound) {
  auto event = store_->Get("evt-404");
  EXPECT_EQ(event.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(event.status().message().find("evt-404"), std::string::npos);
}

TEST_F(EventStoreTest, PagesCoverEveryEventOnceInOrder) {
  std::set<std::string> seen;
  std::string token;
  int64_t last_start = INT64_MIN;
  int pages = 0;
  do {
    auto page = store_->List(5, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& event : page->events) {
      EXPECT_TRUE(seen.insert(event.id()).second) << "duplicate " << event.id();
      EXPECT_GE(event.starts_at().seconds(), last_start);
      last_start = event.starts_at().seconds();
    }
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_EQ(pages, 3);
}

TEST_F(EventStoreTest, PageSizeIsBoundedAndValidated) {
  auto page = store_->List(0, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), 12u);  // default 20 covers the seed
  EXPECT_EQ(store_->List(-1, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->List(1000000, "").ok());
}

TEST_F(EventStoreTest, MalformedPageTokensAreInvalidArgument) {
  for (const char* token : {"!!!", "bm90LWEtdG9rZW4", "YWJjfGRlZg"}) {
    auto page = store_->List(5, token);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_NE(page.status().message().find("page_token"), std::string::npos);
  }
}

}  // namespace
}  // namespace switchboard::ticket
