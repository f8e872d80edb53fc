// The codec core on socket.io-parser's benchmark payloads: header parse,
// payload validation and placeholder scan, without any N-API cost (see
// bench/codec-binding.bench.js for the cost of crossing from JS).

#include <benchmark/benchmark.h>

#include <string>

#include "JsonScanner.h"
#include "PacketHeader.h"
#include "PlaceholderList.h"
#include "Utf16ToUtf8.h"

namespace sio {
namespace {

// socket.io-parser's benchmark object:
// {a:[1..17], b:"xxxyyyzzz...", data:{is:"cool", or:{is:{it:true}}}}
std::string benchObject() {
  std::string out = "{\"a\":[";
  for (int i = 1; i <= 17; ++i) out += (i > 1 ? "," : "") + std::to_string(i);
  out += "],\"b\":\"xxxyyyzzzalsdfalskdjfalksdjfalksdjfalksdjfjjfjfjfjjfjfjfj\","
         "\"data\":{\"is\":\"cool\",\"or\":{\"is\":{\"it\":true}}}}";
  return out;
}

std::string benchArray(int copies) {
  std::string out = "[";
  for (int i = 0; i < copies; ++i) out += (i > 0 ? "," : "") + benchObject();
  return out + "]";
}

std::string placeholder(int num) {
  return "{\"_placeholder\":true,\"num\":" + std::to_string(num) + "}";
}

// Payloads as the Encoder writes them (after the "2"/"51-" header).
const std::string& smallPayload() {
  static const std::string s = "[\"bench\"," + benchObject() + "]";
  return s;
}
const std::string& bigPayload() {
  static const std::string s = "[\"bench\"," + benchArray(250) + "]";
  return s;
}
const std::string& bufferPayload() {  // one 1 kB Buffer
  static const std::string s = "[\"bench\"," + placeholder(0) + "]";
  return s;
}
const std::string& mixedPayload() {  // three Buffers and the x250 array
  static const std::string s = "[\"bench\"," + placeholder(0) + ",{\"list\":" + benchArray(250) +
                               ",\"file\":" + placeholder(1) + "},[" + placeholder(2) + "]]";
  return s;
}

std::u16string widen(const std::string& ascii) { return std::u16string(ascii.begin(), ascii.end()); }

void BM_ParseHeaderShort(benchmark::State& state) {
  const std::u16string text = widen("2/chat,12" + smallPayload());
  PacketHeader h;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PacketHeader::parse(text, true, 10, h));
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_ParseHeaderShort);

void BM_ParseHeaderBinary(benchmark::State& state) {
  const std::u16string text = widen("51-/chat,12" + bufferPayload());
  PacketHeader h;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PacketHeader::parse(text, true, 10, h));
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_ParseHeaderBinary);

void BM_Utf16ToUtf8Big(benchmark::State& state) {
  const std::u16string text = widen(bigPayload());
  std::string out(Utf16ToUtf8::maxBytes(text.size()), '\0');
  bool lone = false;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Utf16ToUtf8::convert(text.data(), text.size(), out.data(), lone));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Utf16ToUtf8Big);

void validate(benchmark::State& state, const std::string& payload, double type) {
  JsonScanner scanner;
  for (auto _ : state) {
    benchmark::DoNotOptimize(scanner.validate(payload, type));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}
void BM_ValidateSmall(benchmark::State& state) { validate(state, smallPayload(), 2); }
void BM_ValidateBig(benchmark::State& state) { validate(state, bigPayload(), 2); }
BENCHMARK(BM_ValidateSmall);
BENCHMARK(BM_ValidateBig);

void find(benchmark::State& state, const std::string& payload) {
  JsonScanner scanner;
  PlaceholderList list;
  for (auto _ : state) {
    benchmark::DoNotOptimize(scanner.findPlaceholders(payload, list));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
  state.counters["found"] = static_cast<double>(list.size());
}
void BM_FindPlaceholdersBuffer(benchmark::State& state) { find(state, bufferPayload()); }
void BM_FindPlaceholdersMixed(benchmark::State& state) { find(state, mixedPayload()); }
void BM_FindPlaceholdersNoneBig(benchmark::State& state) { find(state, bigPayload()); }
BENCHMARK(BM_FindPlaceholdersBuffer);
BENCHMARK(BM_FindPlaceholdersMixed);
BENCHMARK(BM_FindPlaceholdersNoneBig);

}  // namespace
}  // namespace sio
