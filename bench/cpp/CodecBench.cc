#include <benchmark/benchmark.h>

#include <string>

#include "PacketHeader.h"

namespace sio {
namespace {

void BM_ParseHeaderShort(benchmark::State& state) {
  const std::u16string text = u"2/chat,12[\"bench\",{\"a\":1}]";
  PacketHeader h;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PacketHeader::parse(text, true, 10, h));
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_ParseHeaderShort);

}  // namespace
}  // namespace sio
