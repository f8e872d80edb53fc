#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "FrameRef.h"
#include "WebSocketFrame.h"

namespace sio {
namespace {

std::vector<std::uint8_t> header(WebSocketFrame::Opcode opcode, std::uint64_t length) {
  std::vector<std::uint8_t> out(WebSocketFrame::kMaxHeaderSize);
  out.resize(WebSocketFrame::writeHeader(out.data(), opcode, length));
  return out;
}

// The expected bytes are those ws's Sender.frame produces with
// { fin: true, rsv1: false, mask: false }: a client must not be able to tell
// a natively written frame from one ws wrote.
TEST(WebSocketFrame, SevenBitLengths) {
  using O = WebSocketFrame::Opcode;
  EXPECT_EQ(header(O::Text, 0), (std::vector<std::uint8_t>{0x81, 0}));
  EXPECT_EQ(header(O::Text, 1), (std::vector<std::uint8_t>{0x81, 1}));
  EXPECT_EQ(header(O::Text, 125), (std::vector<std::uint8_t>{0x81, 125}));
  EXPECT_EQ(header(O::Binary, 7), (std::vector<std::uint8_t>{0x82, 7}));
}

TEST(WebSocketFrame, SixteenBitLengths) {
  using O = WebSocketFrame::Opcode;
  EXPECT_EQ(header(O::Text, 126), (std::vector<std::uint8_t>{0x81, 126, 0x00, 126}));
  EXPECT_EQ(header(O::Binary, 300), (std::vector<std::uint8_t>{0x82, 126, 0x01, 0x2c}));
  EXPECT_EQ(header(O::Text, 65535), (std::vector<std::uint8_t>{0x81, 126, 0xff, 0xff}));
}

TEST(WebSocketFrame, SixtyFourBitLengths) {
  using O = WebSocketFrame::Opcode;
  EXPECT_EQ(header(O::Text, 65536),
            (std::vector<std::uint8_t>{0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  EXPECT_EQ(header(O::Binary, 0x0102030405ull),
            (std::vector<std::uint8_t>{0x82, 127, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05}));
}

TEST(WebSocketFrame, HeaderSizeMatchesWrittenHeader) {
  for (const std::uint64_t length :
       {0ull, 1ull, 125ull, 126ull, 127ull, 65535ull, 65536ull, 1ull << 32, (1ull << 53) - 1}) {
    EXPECT_EQ(WebSocketFrame::headerSize(length),
              header(WebSocketFrame::Opcode::Text, length).size())
        << length;
  }
}

TEST(WebSocketFrame, BuildPrefixesTheEngineIoMessageType) {
  const std::string packet = "2[\"ev\",1]";
  const std::uint8_t prefix[] = {'4'};
  FrameRef frame = WebSocketFrame::build(
      WebSocketFrame::Opcode::Text, prefix,
      {reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size()});
  ASSERT_TRUE(frame);
  const std::string bytes(reinterpret_cast<const char*>(frame.data()), frame.size());
  EXPECT_EQ(bytes, std::string("\x81\x0a") + "42[\"ev\",1]");
}

TEST(WebSocketFrame, BuildLargePayloadCopiesEverything) {
  std::vector<std::uint8_t> payload(70000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  FrameRef frame = WebSocketFrame::build(WebSocketFrame::Opcode::Binary, {}, payload);
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame.size(), payload.size() + 10);
  EXPECT_EQ(frame.data()[0], 0x82);
  EXPECT_EQ(std::vector<std::uint8_t>(frame.data() + 10, frame.data() + frame.size()), payload);
}

// A binary message (an attachment, or a whole packet from a binary parser such
// as socket.io-msgpack-parser) is sent as its bytes alone, with no engine.io
// type prefix. An empty one (an empty ArrayBuffer) may come with no storage at
// all: a null pointer of length zero.
TEST(WebSocketFrame, BuildBinaryWithoutPrefix) {
  const std::uint8_t msgpack[] = {0x83, 0xa4, 't', 'y', 'p', 'e', 0x02};
  FrameRef frame = WebSocketFrame::build(WebSocketFrame::Opcode::Binary, {}, msgpack);
  ASSERT_TRUE(frame);
  EXPECT_EQ(std::vector<std::uint8_t>(frame.data(), frame.data() + frame.size()),
            (std::vector<std::uint8_t>{0x82, 7, 0x83, 0xa4, 't', 'y', 'p', 'e', 0x02}));

  FrameRef empty = WebSocketFrame::build(WebSocketFrame::Opcode::Binary, {},
                                         std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(nullptr), 0));
  ASSERT_TRUE(empty);
  EXPECT_EQ(std::vector<std::uint8_t>(empty.data(), empty.data() + empty.size()),
            (std::vector<std::uint8_t>{0x82, 0}));
}

TEST(FrameRef, CountsReferences) {
  FrameRef a = WebSocketFrame::allocate(WebSocketFrame::Opcode::Text, 3);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.get()->refs(), 1u);
  {
    FrameRef b = a;
    FrameRef c = b;
    EXPECT_EQ(a.get()->refs(), 3u);
    FrameRef d = std::move(c);
    EXPECT_FALSE(c);
    EXPECT_EQ(a.get()->refs(), 3u);
  }
  EXPECT_EQ(a.get()->refs(), 1u);
}

TEST(FrameRef, AllocateKeepsSlackOutOfTheSize) {
  FrameRef frame = WebSocketFrame::allocate(WebSocketFrame::Opcode::Text, 5, 1);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame.size(), 7u);
  EXPECT_EQ(frame.get()->capacity(), 8u);
}

// The live counts follow allocation and the last release exactly, counting
// capacity (slack included), and are the calling thread's own.
TEST(FrameBuffer, LiveCountsFollowTheLastRelease) {
  const FrameBuffer::Live before = FrameBuffer::live();
  {
    FrameRef a = WebSocketFrame::allocate(WebSocketFrame::Opcode::Text, 5, 1);
    ASSERT_TRUE(a);
    EXPECT_EQ(FrameBuffer::live().blocks, before.blocks + 1);
    EXPECT_EQ(FrameBuffer::live().bytes, before.bytes + 8);
    FrameRef b = a;
    {
      FrameRef c = WebSocketFrame::allocate(WebSocketFrame::Opcode::Binary, 70000);
      ASSERT_TRUE(c);
      EXPECT_EQ(FrameBuffer::live().blocks, before.blocks + 2);
      EXPECT_EQ(FrameBuffer::live().bytes, before.bytes + 8 + 70010);
      std::thread other([] { EXPECT_EQ(FrameBuffer::live().blocks, 0u); });
      other.join();
    }
    a = FrameRef();
    // `b` still holds the first block.
    EXPECT_EQ(FrameBuffer::live().blocks, before.blocks + 1);
    EXPECT_EQ(FrameBuffer::live().bytes, before.bytes + 8);
  }
  EXPECT_EQ(FrameBuffer::live().blocks, before.blocks);
  EXPECT_EQ(FrameBuffer::live().bytes, before.bytes);
}

}  // namespace
}  // namespace sio
