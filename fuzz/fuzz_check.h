// The invariant check of the fuzz targets: a violated invariant aborts, so that libFuzzer
// reports it as a crash and keeps the input, as it does for a sanitizer report.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SB_FUZZ_CHECK(condition)                                                               \
  do {                                                                                         \
    if (!(condition)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
