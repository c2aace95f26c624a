// A progress line for long transfers: redrawn in place on a terminal, a line every 10% when
// the output is a file or pipe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace switchboard::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total_bytes, FILE* out);
  void Update(int64_t done_bytes);
  void Finish();

 private:
  void Draw(int64_t done_bytes, bool final_line);
  std::string label_;
  int64_t total_;
  FILE* out_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  int64_t done_ = 0;
};

std::string HumanBytes(double bytes);

}  // namespace switchboard::cli
