#pragma once

#include <string>
#include <string_view>

namespace sio::wsbench {

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2):
// base64(SHA-1(key + the protocol GUID)). Uses the system's libcrypto.
std::string webSocketAccept(std::string_view key);

// Standard base64 (with padding) of `size` bytes.
std::string base64Encode(const unsigned char* data, std::size_t size);

}  // namespace sio::wsbench
