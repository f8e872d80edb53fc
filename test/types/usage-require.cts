// Typed usage through `require` (CommonJS output, moduleResolution node16).
import http = require("node:http");
import { Server } from "socket.io";
import sio = require("socket.io-native");
import parserModule = require("socket.io-native/parser");

const options: sio.NativeAdapterOptions = {};
const httpServer = http.createServer();
const io = new Server(httpServer, { adapter: sio.createAdapter(options), parser: sio.parser });
new Server(httpServer, { adapter: sio.createAdapter(), parser: parserModule });
// @ts-expect-error createAdapter takes no options yet
sio.createAdapter({ flushBudget: 1 });
// @ts-expect-error options are an object
sio.createAdapter(1);

const adapter = io.of("/").adapter;
if (adapter instanceof sio.NativeAdapter) {
  const bytes: number = adapter.nativeMemoryUsage();
  // @ts-expect-error nativeMemoryUsage() is a number
  const wrong: string = adapter.nativeMemoryUsage();
  void bytes;
  void wrong;
}
const native: boolean = sio.native;

const encoder = new sio.parser.Encoder();
const parts: any[] = encoder.encode({ type: sio.parser.PacketType.EVENT, nsp: "/", data: ["hi"] });
const decoder = new parserModule.Decoder({ maxAttachments: 5 });
decoder.on("decoded", (packet: parserModule.Packet) => {
  const id: number | undefined = packet.id;
  void id;
});
decoder.add(parts[0]);
decoder.destroy();
const valid: boolean = parserModule.isPacketValid({ type: parserModule.PacketType.ACK, nsp: "/", id: 1, data: [] });
const version: number = sio.parser.protocol;

const Rooms = sio.nativeRooms(sio.NativeAdapter);
void Rooms;
void native;
void valid;
void version;

// adapterStats works on a Server and on a Namespace, in both modes.
const stats: sio.NativeAdapterStats = sio.adapterStats(io);
const chatSockets: number = sio.adapterStats(io.of("/chat")).sockets;
if (stats.fanout) {
  const written: number = stats.framesWritten + stats.deferredFlushes;
  void written;
}
// @ts-expect-error a count is a number
const wrongCount: string = stats.rooms;
void chatSockets;
void wrongCount;

// accelerate() hands back the factory's own type: an official adapter factory
// stays what socket.io's `adapter` option takes.
import redisAdapter = require("@socket.io/redis-adapter");
declare const pubClient: any;
declare const subClient: any;
const accelerated = sio.accelerate(redisAdapter.createAdapter(pubClient, subClient));
new Server(httpServer, { adapter: accelerated, parser: sio.parser });
const acceleratedClass: typeof sio.NativeAdapter = sio.accelerate(sio.NativeAdapter, {});
// @ts-expect-error accelerate() takes no options yet
sio.accelerate(accelerated, { fanout: false });
// @ts-expect-error the factory is a function
sio.accelerate("redis");
const accelerationStats = sio.adapterStats(io);
const isAccelerated: boolean | undefined = accelerationStats.accelerated;
const why: string | null | undefined = accelerationStats.reason;
void acceleratedClass;
void isAccelerated;
void why;
