#include "PacketHeader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "TestText.h"

namespace sio {
namespace {

using test::js;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Case {
  const char* text;  // "\uXXXX" is one UTF-16 code unit
  Status status;
  double type;
  double attachments;
  long nspBegin;  // -1: default namespace
  long nspEnd;
  bool hasId;
  double id;
  std::size_t payloadBegin;
};

// Expected values come from socket.io-parser 4.2.7's decodeString (with
// maxAttachments 10); the comment says what the full decode does next.
const Case kCases[] = {
  {R"()", Status::Ok, 0.0, -1, -1, -1, false, 0, 0},  // decodes
  {R"(0)", Status::Ok, 0.0, -1, -1, -1, false, 0, 1},  // decodes
  {R"(1)", Status::Ok, 1.0, -1, -1, -1, false, 0, 1},  // decodes
  {R"(2)", Status::Ok, 2.0, -1, -1, -1, false, 0, 1},  // decodes
  {R"(2["a"])", Status::Ok, 2.0, -1, -1, -1, false, 0, 1},  // decodes
  {R"(7)", Status::UnknownPacketType, 7.0, -1, -1, -1, false, 0, 0},
  {R"(8)", Status::UnknownPacketType, 8.0, -1, -1, -1, false, 0, 0},
  {R"(9)", Status::UnknownPacketType, 9.0, -1, -1, -1, false, 0, 0},
  {R"(a)", Status::UnknownPacketType, kNaN, -1, -1, -1, false, 0, 0},
  {R"(-)", Status::UnknownPacketType, kNaN, -1, -1, -1, false, 0, 0},
  {R"(/)", Status::UnknownPacketType, kNaN, -1, -1, -1, false, 0, 0},
  {R"(\u3000)", Status::Ok, 0.0, -1, -1, -1, false, 0, 1},  // decodes
  {R"( [1])", Status::Ok, 0.0, -1, -1, -1, false, 0, 1},  // invalid payload
  {R"(\u0009)", Status::Ok, 0.0, -1, -1, -1, false, 0, 1},  // decodes
  {R"(\ufeff)", Status::Ok, 0.0, -1, -1, -1, false, 0, 1},  // decodes
  {R"(2/)", Status::Ok, 2.0, -1, 1, 2, false, 0, 2},  // decodes
  {R"(2/chat)", Status::Ok, 2.0, -1, 1, 6, false, 0, 6},  // decodes
  {R"(2/chat,)", Status::Ok, 2.0, -1, 1, 6, false, 0, 7},  // decodes
  {R"(2/chat,[1])", Status::Ok, 2.0, -1, 1, 6, false, 0, 7},  // decodes
  {R"(2/chat,12[1])", Status::Ok, 2.0, -1, 1, 6, true, 12.0, 9},  // decodes
  {R"(2/ch,at,[1])", Status::Ok, 2.0, -1, 1, 4, false, 0, 5},  // invalid payload
  {R"(2/\u00e9\u4e2d\ud83d\ude00,1)", Status::Ok, 2.0, -1, 1, 6, true, 1.0, 8},  // decodes
  {R"(2,/x)", Status::Ok, 2.0, -1, -1, -1, false, 0, 1},  // invalid payload
  {R"(212[1])", Status::Ok, 2.0, -1, -1, -1, true, 12.0, 3},  // decodes
  {R"(21 2[1])", Status::Ok, 2.0, -1, -1, -1, true, kNaN, 4},  // decodes
  {R"(2 [1])", Status::Ok, 2.0, -1, -1, -1, true, 0.0, 2},  // decodes
  {R"(2  )", Status::Ok, 2.0, -1, -1, -1, true, 0.0, 3},  // decodes
  {R"(2\u00a0\u3000[1])", Status::Ok, 2.0, -1, -1, -1, true, 0.0, 3},  // decodes
  {R"(29007199254740993[1])", Status::Ok, 2.0, -1, -1, -1, true, 9007199254740992.0, 17},  // decodes
  {R"(2123)", Status::Ok, 2.0, -1, -1, -1, true, 123.0, 4},  // decodes
  {R"(2/a,1)", Status::Ok, 2.0, -1, 1, 3, true, 1.0, 5},  // decodes
  {R"(2/a,)", Status::Ok, 2.0, -1, 1, 3, false, 0, 4},  // decodes
  {R"(3/a,0[])", Status::Ok, 3.0, -1, 1, 3, true, 0.0, 5},  // decodes
  {R"(51-[1])", Status::Ok, 5.0, 1, -1, -1, false, 0, 3},  // decodes
  {R"(51-)", Status::Ok, 5.0, 1, -1, -1, false, 0, 3},  // decodes
  {R"(5-[1])", Status::IllegalAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(5)", Status::IllegalAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(50-[1])", Status::IllegalAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(5-1-[1])", Status::IllegalAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(5 1 -[1])", Status::Ok, 5.0, 1, -1, -1, false, 0, 5},  // decodes
  {R"(5+1-[1])", Status::Ok, 5.0, 1, -1, -1, false, 0, 4},  // decodes
  {R"(51e0-[1])", Status::Ok, 5.0, 1, -1, -1, false, 0, 5},  // decodes
  {R"(50x1-[1])", Status::Ok, 5.0, 1, -1, -1, false, 0, 5},  // decodes
  {R"(50b1-[1])", Status::Ok, 5.0, 1, -1, -1, false, 0, 5},  // decodes
  {R"(50o1-[1])", Status::Ok, 5.0, 1, -1, -1, false, 0, 5},  // decodes
  {R"(5.5e1-[1])", Status::Ok, 5.0, 5, -1, -1, false, 0, 6},  // decodes
  {R"(51.5-[1])", Status::IllegalAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(5Infinity-[1])", Status::IllegalAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(510-[1])", Status::Ok, 5.0, 10, -1, -1, false, 0, 4},  // decodes
  {R"(511-[1])", Status::TooManyAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(5 -[1])", Status::IllegalAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(51-/a,7[1])", Status::Ok, 5.0, 1, 3, 5, true, 7.0, 7},  // decodes
  {R"(61-/a,7[1])", Status::Ok, 6.0, 1, 3, 5, true, 7.0, 7},  // decodes
  {R"(5\u30001\u2028-[1])", Status::Ok, 5.0, 1, -1, -1, false, 0, 5},  // decodes
  {R"(5x-[1])", Status::IllegalAttachments, 5.0, -1, -1, -1, false, 0, 0},
  {R"(2/a)", Status::Ok, 2.0, -1, 1, 3, false, 0, 3},  // decodes
  {R"(2/a,\ufeff[1])", Status::Ok, 2.0, -1, 1, 3, true, 0.0, 5},  // decodes
  {R"(0/admin,{})", Status::Ok, 0.0, -1, 1, 7, false, 0, 8},  // decodes
  {R"(1/admin,)", Status::Ok, 1.0, -1, 1, 7, false, 0, 8},  // decodes
  {R"(4{"a":1})", Status::Ok, 4.0, -1, -1, -1, false, 0, 1},  // decodes
  {R"(21\ud800[1])", Status::Ok, 2.0, -1, -1, -1, true, 1.0, 2},  // invalid payload
  {R"(2\ud800)", Status::Ok, 2.0, -1, -1, -1, false, 0, 1},  // invalid payload
};

bool sameNumber(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void expectCase(const Case& c, const PacketHeader& h, Status status) {
  ASSERT_EQ(status, c.status);
  EXPECT_TRUE(sameNumber(h.type, c.type)) << h.type;
  if (status != Status::Ok) return;
  EXPECT_EQ(h.attachments, c.attachments);
  EXPECT_EQ(h.hasNamespace, c.nspBegin >= 0);
  if (c.nspBegin >= 0) {
    EXPECT_EQ(h.namespaceBegin, static_cast<std::size_t>(c.nspBegin));
    EXPECT_EQ(h.namespaceEnd, static_cast<std::size_t>(c.nspEnd));
  }
  EXPECT_EQ(h.hasId, c.hasId);
  if (c.hasId) {
    EXPECT_TRUE(sameNumber(h.id, c.id)) << h.id;
  }
  EXPECT_EQ(h.payloadBegin, c.payloadBegin);
}

TEST(PacketHeader, MatchesSocketIoParser) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.text);
    const std::u16string text = js(c.text);
    PacketHeader h;
    expectCase(c, h, PacketHeader::parse(text, true, 10, h));
  }
}

// Parsing a prefix either asks for more input or gives exactly the answer the
// whole string gives: the binding relies on this to copy only a short prefix
// of long packets.
TEST(PacketHeader, PrefixesAreSafe) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.text);
    const std::u16string text = js(c.text);
    for (std::size_t n = 0; n <= text.size(); ++n) {
      PacketHeader h;
      const Status status = PacketHeader::parse(std::u16string_view(text).substr(0, n), false, 10, h);
      if (status == Status::NeedMoreInput) continue;
      expectCase(c, h, status);
    }
  }
}

TEST(PacketHeader, LongPrefixOfLongPacketIsEnough) {
  std::u16string text = u"2/chat,42[\"message\",\"" + std::u16string(10000, u'x') + u"\"]";
  PacketHeader h;
  ASSERT_EQ(PacketHeader::parse(std::u16string_view(text).substr(0, 128), false, 10, h), Status::Ok);
  EXPECT_EQ(h.id, 42);
  EXPECT_EQ(h.payloadBegin, 9U);
}

TEST(PacketHeader, NamespaceWithoutCommaNeedsWholeString) {
  std::u16string text = u"2/" + std::u16string(500, u'n');
  PacketHeader h;
  EXPECT_EQ(PacketHeader::parse(std::u16string_view(text).substr(0, 128), false, 10, h),
            Status::NeedMoreInput);
  ASSERT_EQ(PacketHeader::parse(text, true, 10, h), Status::Ok);
  EXPECT_EQ(h.namespaceEnd, text.size());
  EXPECT_EQ(h.payloadBegin, text.size());
}

TEST(PacketHeader, HugeIds) {
  PacketHeader h;
  std::u16string text = u"2" + std::u16string(400, u'9') + u"[1]";
  ASSERT_EQ(PacketHeader::parse(text, true, 10, h), Status::Ok);
  EXPECT_TRUE(h.hasId);
  EXPECT_EQ(h.id, kInf);
  EXPECT_EQ(h.payloadBegin, 401U);

  ASSERT_EQ(PacketHeader::parse(u"29007199254740992", true, 10, h), Status::Ok);
  EXPECT_EQ(h.id, 9007199254740992.0);
  ASSERT_EQ(PacketHeader::parse(u"29007199254740993", true, 10, h), Status::Ok);
  EXPECT_EQ(h.id, 9007199254740992.0);  // 2^53 + 1 rounds to even
  EXPECT_EQ(h.payloadBegin, 17U);
}

TEST(PacketHeader, MaxAttachmentsLimit) {
  PacketHeader h;
  EXPECT_EQ(PacketHeader::parse(u"53-[]", true, 2, h), Status::TooManyAttachments);
  EXPECT_EQ(PacketHeader::parse(u"52-[]", true, 2, h), Status::Ok);
  EXPECT_EQ(PacketHeader::parse(u"51e9-[]", true, 2, h), Status::TooManyAttachments);
  EXPECT_EQ(PacketHeader::parse(u"5Infinity-[]", true, kInf, h), Status::IllegalAttachments);
  EXPECT_EQ(PacketHeader::parse(u"61e9-[]", true, kInf, h), Status::Ok);
  EXPECT_EQ(h.attachments, 1e9);
  // `n > undefined` is false in JS, so a NaN limit never rejects.
  EXPECT_EQ(PacketHeader::parse(u"5999-[]", true, kNaN, h), Status::Ok);
  // Illegal wins over too many: the integer check comes first.
  EXPECT_EQ(PacketHeader::parse(u"5999.5-[]", true, 2, h), Status::IllegalAttachments);
  EXPECT_EQ(PacketHeader::parse(u"5-5-[]", true, 2, h), Status::IllegalAttachments);
}

TEST(PacketHeader, Encode) {
  std::string out;
  PacketHeader::encode(2, 0, "/", false, 0, out);
  EXPECT_EQ(out, "2");
  out.clear();
  PacketHeader::encode(2, 0, "", true, 12, out);
  EXPECT_EQ(out, "212");
  out.clear();
  PacketHeader::encode(2, 0, "/chat", true, 12, out);
  EXPECT_EQ(out, "2/chat,12");
  out.clear();
  PacketHeader::encode(5, 3, "/chat", false, 0, out);
  EXPECT_EQ(out, "53-/chat,");
  out.clear();
  PacketHeader::encode(6, 1, "/\xc3\xa9", true, 0, out);
  EXPECT_EQ(out, "61-/\xc3\xa9,0");
  out.clear();
  PacketHeader::encode(3, 0, "/", true, 1e21, out);
  EXPECT_EQ(out, "31e+21");
}

// Encoding then parsing gives the fields back.
TEST(PacketHeader, EncodeRoundTrip) {
  const double ids[] = {0, 1, 42, 9007199254740991.0};
  for (int type = 0; type <= 6; ++type) {
    for (double id : ids) {
      std::string ascii;
      PacketHeader::encode(type, 2, "/room-1", true, id, ascii);
      ascii += "[\"x\"]";
      const std::u16string text(ascii.begin(), ascii.end());
      PacketHeader h;
      ASSERT_EQ(PacketHeader::parse(text, true, 10, h), Status::Ok) << ascii;
      EXPECT_EQ(h.type, type);
      EXPECT_EQ(h.attachments, type >= 5 ? 2 : -1);
      EXPECT_EQ(text.substr(h.namespaceBegin, h.namespaceEnd - h.namespaceBegin), u"/room-1");
      EXPECT_EQ(h.id, id);
      EXPECT_EQ(text.substr(h.payloadBegin), u"[\"x\"]");
    }
  }
}

}  // namespace
}  // namespace sio
