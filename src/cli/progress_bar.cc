#include "cli/progress_bar.h"

#include <unistd.h>

#include "fmt/format.h"

namespace switchboard::cli {
namespace {

constexpr int kBarWidth = 30;
constexpr std::chrono::milliseconds kRedrawInterval{100};

}  // namespace

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", bytes, units[unit]);
}

ProgressBar::ProgressBar(std::string label, int64_t total_bytes, FILE* out)
    : label_(std::move(label)),
      total_(total_bytes),
      out_(out),
      tty_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::Update(int64_t done_bytes) {
  done_ = done_bytes;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < kRedrawInterval) return;
    last_draw_ = now;
    Draw(done_bytes, false);
    return;
  }
  const int decile = total_ > 0 ? static_cast<int>(done_bytes * 10 / total_) : 0;
  if (decile != last_decile_) {
    last_decile_ = decile;
    Draw(done_bytes, false);
  }
}

void ProgressBar::Finish() { Draw(done_, true); }

void ProgressBar::Draw(int64_t done_bytes, bool final_line) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? done_bytes / seconds : 0;
  const double fraction = total_ > 0 ? static_cast<double>(done_bytes) / total_ : 1.0;
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar = std::string(filled, '#') + std::string(kBarWidth - filled, ' ');
  fmt::print(out_, "{}{} [{}] {:3.0f}% {} / {} {}/s{}", tty_ ? "\r" : "", label_, bar,
             fraction * 100, HumanBytes(done_bytes), HumanBytes(total_), HumanBytes(rate),
             tty_ && !final_line ? "" : "\n");
  std::fflush(out_);
}

}  // namespace switchboard::cli
