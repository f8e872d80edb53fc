// Typed usage through `import` (ES modules, moduleResolution node16).
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter, NativeAdapter, NativeSessionAwareAdapter, parser, native } from "socket.io-native";
import { createRedisAdapter } from "socket.io-native";
import type { NativeAdapterOptions, RedisAdapterOptions } from "socket.io-native";
import { Decoder, Encoder, PacketType, isPacketValid, protocol } from "socket.io-native/parser";
import type { Packet } from "socket.io-native/parser";
import * as parserNamespace from "socket.io-native/parser";
import sio from "socket.io-native";
import parserDefault from "socket.io-native/parser";

const options: NativeAdapterOptions = {};
const io = new Server(createServer(), { adapter: createAdapter(options), parser });
new Server(createServer(), { adapter: createAdapter(), parser: parserNamespace });

const adapter = io.of("/chat").adapter;
if (adapter instanceof NativeAdapter) {
  const bytes: number = adapter.nativeMemoryUsage();
  void bytes;
}
if (adapter instanceof NativeSessionAwareAdapter) {
  void adapter.persistSession;
}
const isNative: boolean = native;

const packet: Packet = { type: PacketType.EVENT, nsp: "/chat", data: ["message", { text: "hi" }], id: 3 };
const parts: any[] = new Encoder().encode(packet);
const decoder = new Decoder((key: string, value: unknown) => value);
decoder.on("decoded", (decoded: Packet) => void decoded.nsp);
decoder.add(parts[0]);
const ok: boolean = isPacketValid(packet) && protocol === 5 && parser.Encoder === Encoder;

void isNative;
const redisOptions: RedisAdapterOptions = { streamName: "chat", emitterKey: false, maxQueued: 50000 };
const makeRedisAdapter: (client: unknown, opts?: RedisAdapterOptions) => unknown = createRedisAdapter;
void redisOptions;
void makeRedisAdapter;
const same: boolean = sio.createAdapter === createAdapter && parserDefault.Decoder === Decoder;
void same;
void ok;

// @ts-expect-error the parser has no such export
parser.encode;
// @ts-expect-error createAdapter takes no options yet
createAdapter({ batch: true });

// adapterStats: one typed way in both modes, for a Server or a Namespace,
// also of a Server typed with its events.
import { adapterStats } from "socket.io-native";
import type { NativeAdapterStats, FanoutStats } from "socket.io-native";
interface ServerToClient { said: (text: string) => void }
interface ClientToServer { say: (text: string) => void }
const typed = new Server<ClientToServer, ServerToClient>(createServer(), { adapter: createAdapter(), parser });
const stats: NativeAdapterStats = adapterStats(io);
const chatStats = adapterStats(typed.of("/chat"));
const counts: number = stats.sockets + stats.rooms + chatStats.sockets;
if (stats.fanout) {
  const deferred: number = stats.deferredFlushes;
  const fan: FanoutStats = stats;
  void deferred;
  void fan;
}
// @ts-expect-error fan-out counters exist only when fanout is true
void stats.framesWritten;
// @ts-expect-error a Server or a Namespace, not its adapter
adapterStats(io.of("/").adapter);
void counts;

// accelerate() through `import`, with the cluster adapter's factory.
import { accelerate } from "socket.io-native";
import type { AccelerateOptions } from "socket.io-native";
import { createAdapter as createClusterAdapter } from "@socket.io/cluster-adapter";
const accelerateOptions: AccelerateOptions = {};
new Server(createServer(), { adapter: accelerate(createClusterAdapter(), accelerateOptions), parser });
const acceleratedNow: boolean | undefined = adapterStats(io).accelerated;
void acceleratedNow;
