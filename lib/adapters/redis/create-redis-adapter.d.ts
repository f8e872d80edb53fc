/**
 * Options of createRedisAdapter(): those of @socket.io/redis-streams-adapter
 * 0.3.x, plus `emitterKey` and `maxQueued`.
 */
export interface RedisAdapterOptions {
  /** Name of the Redis stream. Default "socket.io". */
  streamName?: string;
  /**
   * Number of streams the namespaces are spread over (by name hash, as the
   * official adapter; a name that hashes negative goes to a stream every node
   * reads, and the stream official nodes write it to is read too). Default 1.
   */
  streamCount?: number;
  /** Prefix of the pub/sub channels. Default "socket.io". */
  channelPrefix?: string;
  /** Use sharded pub/sub (SPUBLISH / SSUBSCRIBE, Redis 7). Default false. */
  useShardedPubSub?: boolean;
  /** Approximate maximum length of the stream. Default 10000. */
  maxLen?: number;
  /** Entries read per XREAD. Default 100. */
  readCount?: number;
  /** XREAD BLOCK time, in milliseconds. Default 5000. */
  blockTimeInMs?: number;
  /** Prefix of the keys holding sessions for connection state recovery. Default "sio:session:". */
  sessionKeyPrefix?: string;
  /** Always JSON in the stream, even for binary payloads. Default false. */
  onlyPlaintext?: boolean;
  /** Accepted for compatibility; unused, as in the official adapter. */
  heartbeatInterval?: number;
  /** Accepted for compatibility; unused, as in the official adapter. */
  heartbeatTimeout?: number;
  /**
   * The `key` of the @socket.io/redis-emitter whose broadcasts and requests
   * this adapter accepts, or false to not listen for emitters. Default false
   * (as the official adapter, which ignores emitters).
   */
  emitterKey?: string | false;
  /**
   * Most stream entries held while Redis is away or the readers are behind
   * (sent in order once it is back, or once they caught up); past it the
   * oldest is dropped and counted in redisStats().dropped. Default 100000.
   */
  maxQueued?: number;
}

/**
 * A cluster adapter over Redis Streams, wire-compatible with
 * @socket.io/redis-streams-adapter 0.3.x, with this package's native room
 * registry and broadcast on each node.
 *
 * @param redisClient a connected node-redis (v4+) or ioredis (v5+) client
 * @param opts options
 * @returns the value for socket.io's `adapter` option
 */
export declare function createRedisAdapter(
  redisClient: any,
  opts?: RedisAdapterOptions
): (nsp: any) => any;
