#pragma once

#include <cstdio>
#include <cstdlib>

// Fuzz targets check their invariants with this instead of assert(): it must
// stop the run in every build type (the release build does not define NDEBUG
// today, but nothing guarantees that), and it names the broken invariant so a
// crash report from libFuzzer says what went wrong, not just where.
#define SIO_FUZZ_CHECK(condition)                                                        \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__,    \
                   #condition);                                                          \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)
