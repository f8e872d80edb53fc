#include "WebSocketAccept.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace sio::wsbench {

std::string base64Encode(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                      static_cast<int>(size));
  out.resize(written > 0 ? static_cast<std::size_t>(written) : 0);
  return out;
}

std::string webSocketAccept(std::string_view key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input;
  input.reserve(key.size() + kGuid.size());
  input.append(key);
  input.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64Encode(digest, sizeof digest);
}

}  // namespace sio::wsbench
