// AdapterMessageTranscoder on hand-made msgpack messages. The expected texts
// are what socket.io-parser's Encoder writes for notepack.decode(message)[1]
// (checked against V8 by test/adapter-transcoder.test.js on random values).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "AdapterMessageTranscoder.h"
#include "Status.h"

namespace sio {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A minimal msgpack writer with notepack.io's choices of encoding.
struct Pack {
  Bytes b;
  Pack& raw(std::initializer_list<int> bytes) {
    for (int x : bytes) b.push_back(static_cast<std::uint8_t>(x));
    return *this;
  }
  Pack& be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Pack& str(std::string_view s) {
    if (s.size() < 32) {
      b.push_back(static_cast<std::uint8_t>(0xA0 | s.size()));
    } else if (s.size() < 256) {
      raw({0xD9}).be(s.size(), 1);
    } else {
      raw({0xDA}).be(s.size(), 2);
    }
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Pack& bin(std::string_view s) {
    raw({0xC4}).be(s.size(), 1);
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Pack& map(std::size_t n) { return n < 16 ? raw({static_cast<int>(0x80 | n)}) : raw({0xDE}).be(n, 2); }
  Pack& arr(std::size_t n) { return n < 16 ? raw({static_cast<int>(0x90 | n)}) : raw({0xDC}).be(n, 2); }
  Pack& uint(std::uint64_t v) { return v < 128 ? raw({static_cast<int>(v)}) : raw({0xCF}).be(v, 8); }
  Pack& f64(double d) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, 8);
    return raw({0xCB}).be(bits, 8);
  }
  Pack& f32(float f) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, 4);
    return raw({0xCA}).be(bits, 4);
  }
  Pack& append(const Bytes& more) {
    b.insert(b.end(), more.begin(), more.end());
    return *this;
  }
};

Bytes defaultOpts() {
  Pack p;
  p.map(3).str("rooms").arr(1).str("room1").str("except").arr(0).str("flags").map(0);
  return p.b;
}

// [uid, {type, data, nsp}, opts] with `data` already packed.
Bytes message(const Bytes& data, std::string_view nsp = "/", int type = 2) {
  Pack p;
  p.arr(3).str("abc123").map(3).str("type").uint(type).str("data").append(data).str("nsp").str(nsp).append(defaultOpts());
  return p.b;
}

struct Outcome {
  Status status;
  std::string text;
  AdapterMessageTranscoder::Result result;
};

Outcome run(const Bytes& msg, AdapterMessageTranscoder::Limits limits = {}) {
  AdapterMessageTranscoder transcoder(limits);
  Outcome o{Status::Ok, "", {}};
  o.status = transcoder.transcode(msg.data(), msg.size(), o.result);
  if (o.status == Status::Ok) o.text = std::string(o.result.text);
  return o;
}

std::string textOf(const Bytes& data, std::string_view nsp = "/") {
  const Outcome o = run(message(data, nsp));
  EXPECT_EQ(o.status, Status::Ok);
  return o.text;
}

std::string slice(const Bytes& msg, AdapterMessageTranscoder::Range r) {
  return std::string(reinterpret_cast<const char*>(msg.data()) + r.begin, r.length);
}

TEST(AdapterMessageTranscoder, EventWithObject) {
  Pack data;
  data.arr(2).str("ev").map(1).str("a").uint(1);
  const Bytes msg = message(data.b);
  const Outcome o = run(msg);
  ASSERT_EQ(o.status, Status::Ok);
  EXPECT_EQ(o.text, R"(2["ev",{"a":1}])");
  EXPECT_TRUE(o.result.textIsAscii);
  EXPECT_EQ(slice(msg, o.result.uid), "abc123");
  EXPECT_EQ(o.result.type, 2);
  EXPECT_TRUE(o.result.hasNamespace);
  EXPECT_EQ(slice(msg, o.result.nsp), "/");
  EXPECT_FALSE(o.result.hasId);
  EXPECT_TRUE(o.result.attachments.empty());
  ASSERT_TRUE(o.result.hasRooms);
  ASSERT_EQ(o.result.rooms.size(), 1U);
  EXPECT_EQ(slice(msg, o.result.rooms[0]), "room1");
  EXPECT_TRUE(o.result.hasExcept);
  EXPECT_TRUE(o.result.except.empty());
  EXPECT_TRUE(o.result.hasFlags);
  EXPECT_TRUE(o.result.flags.empty());
}

TEST(AdapterMessageTranscoder, NamespacePrefixAndAckId) {
  Pack data;
  data.arr(1).str("ev");
  EXPECT_EQ(textOf(data.b, "/chat"), R"(2/chat,["ev"])");
  EXPECT_EQ(textOf(data.b, ""), R"(2["ev"])");  // "" is falsy: no prefix

  Pack p;
  p.arr(3).str("u").map(4).str("type").uint(3).str("data").append(data.b).str("nsp").str("/a").str("id").uint(42)
      .append(defaultOpts());
  const Outcome o = run(p.b);
  ASSERT_EQ(o.status, Status::Ok);
  EXPECT_EQ(o.text, R"(3/a,42["ev"])");
  EXPECT_TRUE(o.result.hasId);
  EXPECT_EQ(o.result.id, 42);
}

TEST(AdapterMessageTranscoder, LongNamespaceMovesThePayload) {
  const std::string nsp = "/" + std::string(200, 'n');
  Pack data;
  data.arr(2).str("ev").str(std::string(300, 'x'));
  EXPECT_EQ(textOf(data.b, nsp), "2" + nsp + ",[\"ev\",\"" + std::string(300, 'x') + "\"]");
}

TEST(AdapterMessageTranscoder, MissingOrNullDataHasNoPayload) {
  Pack p;
  p.arr(3).str("u").map(2).str("type").uint(2).str("nsp").str("/x").append(defaultOpts());
  EXPECT_EQ(run(p.b).text, "2/x,");
  Pack q;
  q.arr(3).str("u").map(2).str("type").uint(2).str("data").raw({0xC0}).append(defaultOpts());
  const Outcome o = run(q.b);
  ASSERT_EQ(o.status, Status::Ok);
  EXPECT_EQ(o.text, "2");
  EXPECT_FALSE(o.result.hasNamespace);
}

TEST(AdapterMessageTranscoder, BinaryAttachments) {
  Pack data;
  data.arr(3).str("ev").bin("\x01\x02").map(1).str("f").arr(1).bin("xyz");
  const Bytes msg = message(data.b, "/nsp");
  const Outcome o = run(msg);
  ASSERT_EQ(o.status, Status::Ok);
  EXPECT_EQ(o.text, R"(52-/nsp,["ev",{"_placeholder":true,"num":0},{"f":[{"_placeholder":true,"num":1}]}])");
  ASSERT_EQ(o.result.attachments.size(), 2U);
  EXPECT_EQ(slice(msg, o.result.attachments[0]), "\x01\x02");
  EXPECT_EQ(slice(msg, o.result.attachments[1]), "xyz");

  Pack ack;
  ack.arr(3).str("u").map(3).str("type").uint(3).str("data").bin("").str("id").uint(7).append(defaultOpts());
  EXPECT_EQ(run(ack.b).text, R"(61-7{"_placeholder":true,"num":0})");
}

TEST(AdapterMessageTranscoder, ScalarsAsJsonStringify) {
  Pack data;
  data.arr(12).raw({0xC0, 0xC2, 0xC3, 0xFF, 0xE0}).raw({0xD0, 0x80}).raw({0xD1, 0x80, 0x00})
      .raw({0xCE, 0xFF, 0xFF, 0xFF, 0xFF}).uint(9007199254740992ULL).raw({0xD3}).be(static_cast<std::uint64_t>(-9007199254740992LL), 8)
      .raw({0xCD, 0x01, 0x00}).raw({0xCC, 0xFF});
  EXPECT_EQ(textOf(data.b),
            "2[null,false,true,-1,-32,-128,-32768,4294967295,9007199254740992,-9007199254740992,256,255]");
}

TEST(AdapterMessageTranscoder, WideIntegersAsNotepackRoundsThem) {
  // notepack computes hi * 2^32 + lo in doubles: one rounding of the exact value.
  Pack data;
  data.arr(4).uint(9007199254740993ULL).uint(18446744073709551615ULL)
      .raw({0xD3}).be(static_cast<std::uint64_t>(-9007199254740993LL), 8)
      .raw({0xD3}).be(0x8000000000000000ULL, 8);
  EXPECT_EQ(textOf(data.b), "2[9007199254740992,18446744073709552000,-9007199254740992,-9223372036854776000]");
  // An ack id is written as "" + id: only exact integers are taken.
  Pack p;
  p.arr(3).str("u").map(2).str("type").uint(2).str("id").uint(9007199254740993ULL).map(0);
  EXPECT_EQ(run(p.b).status, Status::CannotDecide);
}

TEST(AdapterMessageTranscoder, DoublesAsNumberToString) {
  const std::pair<double, const char*> cases[] = {
      {0.1, "0.1"}, {-0.0, "0"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"},
      {1e-7, "1e-7"}, {1.5e-7, "1.5e-7"}, {1e-6, "0.000001"}, {123.456, "123.456"},
      {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
      {std::numeric_limits<double>::quiet_NaN(), "null"}, {std::numeric_limits<double>::infinity(), "null"},
      {-std::numeric_limits<double>::infinity(), "null"}, {-1.25, "-1.25"}, {2.0, "2"},
  };
  for (const auto& [value, expected] : cases) {
    Pack data;
    data.arr(1).f64(value);
    EXPECT_EQ(textOf(data.b), std::string("2[") + expected + "]") << expected;
  }
  Pack f;
  f.arr(3).f32(0.1F).f32(-0.0F).f32(3.4028234663852886e38F);
  EXPECT_EQ(textOf(f.b), "2[0.10000000149011612,0,3.4028234663852886e+38]");
}

TEST(AdapterMessageTranscoder, StringsEscapedAsJsonStringify) {
  Pack data;
  data.arr(1).str(std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f", 14) + "\xE2\x80\xA8\xF0\x9F\x98\x80\xEF\xBB\xBF");
  const Outcome o = run(message(data.b));
  ASSERT_EQ(o.status, Status::Ok);
  EXPECT_EQ(o.text, "2[\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xE2\x80\xA8\xF0\x9F\x98\x80\xEF\xBB\xBF\"]");
  EXPECT_FALSE(o.result.textIsAscii);

  Pack nul;
  nul.arr(1).str(std::string("a\0b", 3));
  EXPECT_EQ(textOf(nul.b), "2[\"a\\u0000b\"]");
}

TEST(AdapterMessageTranscoder, LongStringsAcrossChunks) {
  // Long enough for several of the writer's 16 kB chunks, with escapes and
  // multi-byte sequences at every offset, so some straddle a chunk's end.
  std::string s;
  std::string expected;
  const char* pieces[] = {"a", "\xC3\xA9", "\n", "\xF0\x9F\x98\x80", "\x01", "\xE2\x82\xAC", "\""};
  const char* escaped[] = {"a", "\xC3\xA9", "\\n", "\xF0\x9F\x98\x80", "\\u0001", "\xE2\x82\xAC", "\\\""};
  for (int i = 0; s.size() < 50000; ++i) {
    s += pieces[i % 7];
    expected += escaped[i % 7];
  }
  Pack data;
  data.arr(1).raw({0xDB}).be(s.size(), 4);
  data.b.insert(data.b.end(), s.begin(), s.end());
  EXPECT_EQ(textOf(data.b), "2[\"" + expected + "\"]");
}

TEST(AdapterMessageTranscoder, ArrayIndexKeysFirstAsV8EnumeratesThem) {
  Pack data;
  data.map(7).str("b").uint(1).str("10").uint(2).str("4294967295").uint(3).str("9").map(3)
      .str("z").uint(0).str("1").uint(0).str("0").str("v").str("01").uint(4).str("4294967294").uint(5)
      .str("0").raw({0xC0});
  EXPECT_EQ(textOf(data.b),
            R"(2{"0":null,"9":{"0":"v","1":0,"z":0},"10":2,"4294967294":5,"b":1,"4294967295":3,"01":4})");
  // Binary elsewhere in the payload is fine: only a map's own placeholders
  // could be renumbered.
  Pack bin;
  bin.arr(2).bin("x").map(2).str("k").uint(1).str("3").uint(2);
  EXPECT_EQ(textOf(bin.b), R"(51-[{"_placeholder":true,"num":0},{"3":2,"k":1}])");
  // Reordering that keeps the entries with binary in their order.
  Pack kept;
  kept.map(3).str("k").bin("x").str("7").uint(1).str("m").bin("y");
  EXPECT_EQ(textOf(kept.b),
            R"(52-{"7":1,"k":{"_placeholder":true,"num":0},"m":{"_placeholder":true,"num":1}})");
}

TEST(AdapterMessageTranscoder, RefusesWhatJsMightDoDifferently) {
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"invalid UTF-8", Pack().arr(1).str("\xC3\x28").b},
      {"overlong", Pack().arr(1).str("\xC0\xAF").b},
      {"UTF-8 surrogate", Pack().arr(1).str("\xED\xA0\x80").b},
      {"above U+10FFFF", Pack().arr(1).str("\xF4\x90\x80\x80").b},
      {"truncated sequence", Pack().arr(1).str("\xE2\x82").b},
      {"index key moved before binary", Pack().map(2).str("b").bin("x").str("0").bin("y").b},
      {"index keys swapping binary", Pack().map(2).str("5").arr(1).bin("x").str("2").bin("y").b},
      {"__proto__", Pack().map(1).str("__proto__").map(0).b},
      {"duplicate", Pack().map(2).str("a").uint(1).str("a").uint(2).b},
      {"duplicate in a large map",
       [] {
         Pack p;
         p.map(12);
         for (int i = 0; i < 11; ++i) p.str(std::string("k") + static_cast<char>('a' + i)).uint(i);
         return p.str("kc").uint(0).b;
       }()},
      {"numeric key", Pack().map(1).uint(1).uint(1).b},
      {"nil key", Pack().map(1).raw({0xC0}).uint(1).b},
      {"ext undefined", Pack().arr(1).raw({0xD4, 0x00, 0x00}).b},
      {"ext date", Pack().arr(1).raw({0xD6, 0xFF, 0, 0, 0, 1}).b},
      {"ext8", Pack().arr(1).raw({0xC7, 0x01, 0x05, 0x00}).b},
  };
  for (const auto& [name, data] : cases) {
    EXPECT_EQ(run(message(data)).status, Status::CannotDecide) << name;
  }
}

TEST(AdapterMessageTranscoder, RefusesShapesTheAdapterDoesNotPublish) {
  const Bytes data = Pack().arr(1).str("ev").b;
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"not an array", Pack().map(0).b},
      {"two elements", Pack().arr(2).str("u").map(0).b},
      {"uid not a string", Pack().arr(3).uint(1).map(1).str("type").uint(2).map(0).b},
      {"packet not a map", Pack().arr(3).str("u").raw({0xC0}).map(0).b},
      {"no type", Pack().arr(3).str("u").map(1).str("data").append(data).map(0).b},
      {"type 0", Pack().arr(3).str("u").map(1).str("type").uint(0).map(0).b},
      {"type 5", Pack().arr(3).str("u").map(1).str("type").uint(5).map(0).b},
      {"type as float", Pack().arr(3).str("u").map(1).str("type").f64(2).map(0).b},
      {"extra packet key", Pack().arr(3).str("u").map(2).str("type").uint(2).str("x").uint(1).map(0).b},
      {"duplicate packet key", Pack().arr(3).str("u").map(2).str("type").uint(2).str("type").uint(2).map(0).b},
      {"nsp not a string", Pack().arr(3).str("u").map(2).str("type").uint(2).str("nsp").raw({0xC0}).map(0).b},
      {"id not an integer", Pack().arr(3).str("u").map(2).str("type").uint(2).str("id").f64(1.5).map(0).b},
      {"opts not a map", Pack().arr(3).str("u").map(1).str("type").uint(2).raw({0xC0}).b},
      {"numeric room", Pack().arr(3).str("u").map(1).str("type").uint(2).map(1).str("rooms").arr(1).uint(1).b},
      {"unknown flag", Pack().arr(3).str("u").map(1).str("type").uint(2).map(1).str("flags").map(1).str("x").raw({0xC3}).b},
      {"timeout flag", Pack().arr(3).str("u").map(1).str("type").uint(2).map(1).str("flags").map(1).str("timeout").uint(5).b},
      {"extra opts key", Pack().arr(3).str("u").map(1).str("type").uint(2).map(1).str("x").uint(1).b},
  };
  for (const auto& [name, msg] : cases) {
    EXPECT_EQ(run(msg).status, Status::CannotDecide) << name;
  }
}

TEST(AdapterMessageTranscoder, OptsAndFlags) {
  Pack p;
  p.arr(3).str("u").map(1).str("type").uint(2)
      .map(3).str("flags").map(2).str("volatile").raw({0xC3}).str("local").raw({0xC2})
      .str("except").arr(2).str("a").str("b").str("rooms").arr(0);
  const Outcome o = run(p.b);
  ASSERT_EQ(o.status, Status::Ok);
  ASSERT_EQ(o.result.flags.size(), 2U);
  EXPECT_STREQ(AdapterMessageTranscoder::kFlagNames[o.result.flags[0].name], "volatile");
  EXPECT_TRUE(o.result.flags[0].value);
  EXPECT_STREQ(AdapterMessageTranscoder::kFlagNames[o.result.flags[1].name], "local");
  EXPECT_FALSE(o.result.flags[1].value);
  EXPECT_EQ(slice(p.b, o.result.except[1]), "b");
  EXPECT_TRUE(o.result.hasRooms);
  EXPECT_TRUE(o.result.rooms.empty());

  Pack none;
  none.arr(3).str("u").map(1).str("type").uint(2).map(0);
  const Outcome n = run(none.b);
  ASSERT_EQ(n.status, Status::Ok);
  EXPECT_FALSE(n.result.hasRooms);
  EXPECT_FALSE(n.result.hasFlags);
}

TEST(AdapterMessageTranscoder, MalformedInputNeverReadsPastTheEnd) {
  Pack data;
  data.arr(4).str("ev").bin("bin").map(1).str("k").f64(1.5).raw({0xCD, 0x12, 0x34});
  const Bytes whole = message(data.b, "/n");
  ASSERT_EQ(run(whole).status, Status::Ok);
  // Every strict prefix is truncated; each is copied to a block of exactly
  // its size so that AddressSanitizer sees any read past it.
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const Bytes prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(run(prefix).status, Status::MalformedMessage) << n;
  }
  Bytes trailing = whole;
  trailing.push_back(0xC0);
  EXPECT_EQ(run(trailing).status, Status::MalformedMessage);
  EXPECT_EQ(run(message(Pack().arr(1).raw({0xC1}).b)).status, Status::MalformedMessage);
  // Counts the input cannot hold.
  EXPECT_EQ(run(message(Pack().raw({0xDD, 0xFF, 0xFF, 0xFF, 0xFF}).b)).status, Status::MalformedMessage);
  EXPECT_EQ(run(message(Pack().raw({0xDB, 0xFF, 0xFF, 0xFF, 0xFF}).b)).status, Status::MalformedMessage);
  EXPECT_EQ(run(message(Pack().raw({0xC6, 0xFF, 0xFF, 0xFF, 0xFF}).b)).status, Status::MalformedMessage);
}

TEST(AdapterMessageTranscoder, DepthLimit) {
  AdapterMessageTranscoder::Limits limits;
  limits.maxDepth = 4;
  Pack ok;
  for (int i = 0; i < 4; ++i) ok.arr(1);
  ok.uint(1);
  EXPECT_EQ(run(message(ok.b), limits).status, Status::Ok);
  Pack deep;
  for (int i = 0; i < 5; ++i) deep.arr(1);
  deep.uint(1);
  EXPECT_EQ(run(message(deep.b), limits).status, Status::CannotDecide);
  // The default limit on a deeply nested input (no stack overflow).
  Pack deeper;
  for (int i = 0; i < 100000; ++i) deeper.arr(1);
  deeper.uint(1);
  EXPECT_EQ(run(message(deeper.b)).status, Status::CannotDecide);
}

TEST(AdapterMessageTranscoder, ReusedAcrossMessages) {
  AdapterMessageTranscoder transcoder;
  AdapterMessageTranscoder::Result result;
  const Bytes big = message(Pack().arr(2).str("ev").str(std::string(5000, 'z')).b);
  const Bytes small = message(Pack().arr(1).bin("b").b);
  ASSERT_EQ(transcoder.transcode(big.data(), big.size(), result), Status::Ok);
  EXPECT_EQ(result.text.size(), 5000U + 10);
  ASSERT_EQ(transcoder.transcode(small.data(), small.size(), result), Status::Ok);
  EXPECT_EQ(result.text, R"(51-[{"_placeholder":true,"num":0}])");
  EXPECT_EQ(result.attachments.size(), 1U);
  const Bytes refused = message(Pack().arr(1).raw({0xD4, 0, 0}).b);
  EXPECT_EQ(transcoder.transcode(refused.data(), refused.size(), result), Status::CannotDecide);
  ASSERT_EQ(transcoder.transcode(big.data(), big.size(), result), Status::Ok);
  EXPECT_TRUE(result.attachments.empty());
}

}  // namespace
}  // namespace sio
