// Shared pieces of the load generators in bench/: flags, clocks, a lock-free latency histogram,
// channels that never share a connection, and /proc readers for a server's RSS and CPU time.
#pragma once

#include <dirent.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace switchboard::bench {

// --name=value flags; a flag that is absent takes its fallback. Unknown flags are an error, so a
// typo in a script never silently runs the default.
class Flags {
 public:
  Flags(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.rfind("--", 0) != 0) {
        positional_.push_back(arg);
        continue;
      }
      const auto eq = arg.find('=');
      if (eq == std::string::npos) {
        values_[arg.substr(2)] = "true";
      } else {
        values_[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
      }
    }
  }

  std::string Str(const std::string& name, const std::string& fallback) {
    used_.push_back(name);
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  int64_t Int(const std::string& name, int64_t fallback) {
    const std::string value = Str(name, "");
    return value.empty() ? fallback : std::strtoll(value.c_str(), nullptr, 10);
  }
  double Double(const std::string& name, double fallback) {
    const std::string value = Str(name, "");
    return value.empty() ? fallback : std::strtod(value.c_str(), nullptr);
  }
  const std::vector<std::string>& positional() const { return positional_; }

  // Exits with status 2 naming the first flag no Str/Int/Double call asked for.
  void CheckAllUsed() const {
    for (const auto& [name, value] : values_) {
      bool used = false;
      for (const auto& u : used_) used |= (u == name);
      if (!used) {
        std::fprintf(stderr, "unknown flag --%s\n", name.c_str());
        std::exit(2);
      }
    }
  }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  std::vector<std::string> used_;
};

// The same clock the services stamp messages with (system_clock), in microseconds.
inline int64_t NowUnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t NowSteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Latencies in microseconds: 1 us buckets below kFineLimitUs, 100 us buckets up to kMaxUs, one
// overflow bucket. Record() is wait-free, so many grpc callback threads can share one.
class Histogram {
 public:
  static constexpr int64_t kFineLimitUs = 100000;  // 100 ms at 1 us
  static constexpr int64_t kCoarseStepUs = 100;    // then 100 us steps
  static constexpr int64_t kMaxUs = 20000000;      // up to 20 s
  static constexpr size_t kBuckets = kFineLimitUs + (kMaxUs - kFineLimitUs) / kCoarseStepUs + 1;

  Histogram() : buckets_(new std::atomic<uint64_t>[kBuckets]) {
    for (size_t i = 0; i < kBuckets; ++i) buckets_[i].store(0, std::memory_order_relaxed);
  }

  void Record(int64_t us) {
    if (us < 0) us = 0;
    size_t index;
    if (us < kFineLimitUs) {
      index = static_cast<size_t>(us);
    } else if (us < kMaxUs) {
      index = static_cast<size_t>(kFineLimitUs + (us - kFineLimitUs) / kCoarseStepUs);
    } else {
      index = kBuckets - 1;
    }
    buckets_[index].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }

  uint64_t count() const { return count_.load(); }

  // The smallest bucket value v such that at least p% of the samples are <= v, in us.
  double Percentile(double p) const {
    const uint64_t total = count_.load();
    if (total == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(total));
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen >= rank) {
        if (i < static_cast<size_t>(kFineLimitUs)) return static_cast<double>(i);
        return static_cast<double>(kFineLimitUs +
                                   (static_cast<int64_t>(i) - kFineLimitUs) * kCoarseStepUs);
      }
    }
    return static_cast<double>(kMaxUs);
  }

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
};

// A channel with its own connection: grpc shares subchannels (connections) between channels
// whose arguments are equal, so each index gets a distinct argument and a local pool.
inline std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  args.SetInt("switchboard.bench.channel_index", index);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

inline bool WaitConnected(const std::shared_ptr<grpc::Channel>& channel, int seconds) {
  return channel->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(seconds));
}

// VmRSS of a process in KiB, from /proc/<pid>/status; -1 when it cannot be read.
inline int64_t ReadRssKiB(int64_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      int64_t kib = -1;
      fields >> kib;
      return kib;
    }
  }
  return -1;
}

// utime + stime of a process in milliseconds, from /proc/<pid>/stat; -1 when unreadable.
inline double ReadCpuMillis(int64_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; the fields after it start past the last ')'.
  const auto close = content.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(content.substr(close + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (fields >> field); ++i) {
    if (i == 14) utime = std::strtoll(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoll(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU milliseconds of every thread of a process, by thread id, from /proc/<pid>/task/*/stat.
inline std::map<int64_t, double> ReadThreadCpuMillis(int64_t pid) {
  std::map<int64_t, double> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  std::unique_ptr<DIR, int (*)(DIR*)> tasks(opendir(dir.c_str()), closedir);
  if (tasks == nullptr) return out;
  while (dirent* entry = readdir(tasks.get())) {
    if (entry->d_name[0] == '.') continue;
    const int64_t tid = std::strtoll(entry->d_name, nullptr, 10);
    std::ifstream stat(dir + "/" + entry->d_name + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = content.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(content.substr(close + 2));
    std::string field;
    int64_t ticks = 0;
    for (int i = 3; i <= 15 && (fields >> field); ++i) {
      if (i == 14 || i == 15) ticks += std::strtoll(field.c_str(), nullptr, 10);
    }
    out[tid] = static_cast<double>(ticks) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return out;
}

// One result line for the scripts: "name value".
inline void Emit(const char* name, double value) { std::printf("%s %.6g\n", name, value); }

}  // namespace switchboard::bench
