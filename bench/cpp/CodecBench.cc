// The codec core on socket.io-parser's benchmark payloads: header parse,
// payload validation and placeholder scan, without any N-API cost (see
// bench/codec-binding.bench.js for the cost of crossing from JS).

#include <benchmark/benchmark.h>

#include <cstring>
#include <cstdint>
#include <string>
#include <vector>

#include "AdapterMessageTranscoder.h"
#include "JsonScanner.h"
#include "PacketHeader.h"
#include "PlaceholderList.h"
#include "Status.h"
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

// --- Classic Redis adapter messages (AdapterMessageTranscoder) ---------------
// The same messages as bench/adapter-transcode.bench.js, written here with a
// minimal msgpack packer (notepack.io's encodings), so that the core's own
// cost can be told apart from the N-API crossing the JS benchmark includes.

struct MsgPack {
  std::vector<std::uint8_t> b;
  void be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void str(const std::string& s) {
    if (s.size() < 32) b.push_back(static_cast<std::uint8_t>(0xA0 | s.size()));
    else if (s.size() < 256) { b.push_back(0xD9); be(s.size(), 1); }
    else { b.push_back(0xDA); be(s.size(), 2); }
    b.insert(b.end(), s.begin(), s.end());
  }
  void map(std::size_t n) { b.push_back(static_cast<std::uint8_t>(0x80 | n)); }
  void arr(std::size_t n) {
    if (n < 16) b.push_back(static_cast<std::uint8_t>(0x90 | n));
    else { b.push_back(0xDC); be(n, 2); }
  }
  void uint(std::uint64_t v) {
    if (v < 128) b.push_back(static_cast<std::uint8_t>(v));
    else if (v < 0x100000000ULL) { b.push_back(0xCE); be(v, 4); }
    else { b.push_back(0xCF); be(v, 8); }
  }
  void f64(double d) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, 8);
    b.push_back(0xCB);
    be(bits, 8);
  }
  void bin(std::size_t n, std::uint8_t fill) {
    b.push_back(0xC6);
    be(n, 4);
    b.insert(b.end(), n, fill);
  }
  // The benchmark's chat-like record, about 1 kB.
  void record(int i) {
    map(11);
    str("id"); uint(100000 + i);
    str("user"); map(3);
    str("name"); str("user-" + std::to_string(i));
    str("avatar"); str("https://example.org/a/" + std::to_string(i) + ".png");
    str("roles"); arr(2); str("member"); str("writer");
    std::string text;
    for (int k = 0; k < 8; ++k) text += "The quick brown fox jumps over the lazy dog. ";
    str("text"); str(text);
    str("ts"); uint(1733500000000ULL + i);
    str("score"); f64(12.375 + i / 7.0);
    str("tags"); arr(4); str("alpha"); str("beta"); str("gamma"); str("delta");
    str("flags"); map(3); str("pinned"); b.push_back(0xC2); str("edited"); b.push_back(0xC3); str("deleted"); b.push_back(0xC2);
    str("reactions"); arr(2);
    map(2); str("e"); str("thumbs"); str("n"); uint(3);
    map(2); str("e"); str("heart"); str("n"); uint(1);
    str("geo"); map(2); str("lat"); f64(48.8566 + i / 1e4); str("lon"); f64(2.3522 - i / 1e4);
    str("meta"); map(4); str("v"); uint(2); str("source"); str("web"); str("locale"); str("en-US"); str("thread"); b.push_back(0xC0);
    str("extra"); str(std::string(300, 'x'));
  }
  // [uid, {type: 2, data: <written by body>, nsp: "/"}, {rooms: ["room-1"], except: [], flags: {}}]
  template <typename Body>
  static std::vector<std::uint8_t> message(Body body) {
    MsgPack p;
    p.arr(3); p.str("AbC123");
    p.map(3); p.str("type"); p.uint(2); p.str("data"); body(p); p.str("nsp"); p.str("/");
    p.map(3); p.str("rooms"); p.arr(1); p.str("room-1"); p.str("except"); p.arr(0); p.str("flags"); p.map(0);
    return p.b;
  }
};

void runTranscode(benchmark::State& state, const std::vector<std::uint8_t>& msg) {
  AdapterMessageTranscoder transcoder;
  AdapterMessageTranscoder::Result result;
  if (transcoder.transcode(msg.data(), msg.size(), result) != Status::Ok) {
    state.SkipWithError("the benchmark message was refused");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(transcoder.transcode(msg.data(), msg.size(), result));
    benchmark::DoNotOptimize(result.text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * msg.size()));
}

void BM_TranscodeSmall(benchmark::State& state) {
  static const auto msg = MsgPack::message([](MsgPack& p) {
    p.arr(2); p.str("message"); p.map(2); p.str("user"); p.str("alice"); p.str("text"); p.str("hello there");
  });
  runTranscode(state, msg);
}
BENCHMARK(BM_TranscodeSmall);

void BM_TranscodeMedium(benchmark::State& state) {
  static const auto msg = MsgPack::message([](MsgPack& p) { p.arr(2); p.str("update"); p.record(1); });
  runTranscode(state, msg);
}
BENCHMARK(BM_TranscodeMedium);

void BM_TranscodeLarge(benchmark::State& state) {
  static const auto msg = MsgPack::message([](MsgPack& p) {
    p.arr(2); p.str("bulk"); p.arr(100);
    for (int i = 0; i < 100; ++i) p.record(i);
  });
  runTranscode(state, msg);
}
BENCHMARK(BM_TranscodeLarge);

void BM_TranscodeMediumBinary(benchmark::State& state) {
  static const auto msg = MsgPack::message([](MsgPack& p) { p.arr(3); p.str("update"); p.record(1); p.bin(1024, 2); });
  runTranscode(state, msg);
}
BENCHMARK(BM_TranscodeMediumBinary);

void BM_TranscodeLargeBinary(benchmark::State& state) {
  static const auto msg = MsgPack::message([](MsgPack& p) {
    p.arr(3); p.str("bulk"); p.arr(50);
    for (int i = 0; i < 50; ++i) p.record(i);
    p.bin(50 * 1024, 3);
  });
  runTranscode(state, msg);
}
BENCHMARK(BM_TranscodeLargeBinary);

}  // namespace
}  // namespace sio
