#include "JsonField.h"

#include <cstdio>

namespace sio::wsbench {

void appendJsonField(std::string& json, const char* name, std::int64_t value) {
  char buf[96];
  std::snprintf(buf, sizeof buf, ",\"%s\":%lld", name, static_cast<long long>(value));
  json += buf;
}

}  // namespace sio::wsbench
