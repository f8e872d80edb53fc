#pragma once

#include <cstdint>
#include <string>

namespace sio::wsbench {

// Reads "--name value" pairs from argv. The benchmark programs take a handful
// of numeric options and are driven by a script, so this is all they need.
class Options {
 public:
  Options(int argc, char** argv) : argc_(argc), argv_(argv) {}

  // The value after `--name`, or `fallback` when absent.
  std::string text(const char* name, const std::string& fallback) const;
  std::int64_t number(const char* name, std::int64_t fallback) const;

  // True when every argument is a known "--name value" pair; `known` is a
  // null-terminated list of names.
  bool onlyKnown(const char* const* known, std::string& unknown) const;

 private:
  int argc_;
  char** argv_;
};

// True for an IPv4 address in 127.0.0.0/8: the benchmark only ever talks to
// this machine.
bool isLoopback(const std::string& host);

}  // namespace sio::wsbench
