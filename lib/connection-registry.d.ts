/**
 * The engine.io connections the native fan-out may write to, shared by every
 * namespace of the process, and the protocol that keeps each connection's
 * byte stream in order (docs/fanout.md).
 */
export declare class ConnectionRegistry {
  constructor(fanout: any);
  /** The addon's fan-out object. */
  readonly fanout: any;
  /** The fan-out id of `conn` (an engine.io Socket), registering it when it qualifies; -1 when not. */
  idOf(conn: any): number;
  /** Queues, once per tick, the nextTick callback that starts the fan-out's next tick. */
  queueTick(): void;
  /** Whether a remainder of ours is still being written to connection `id`. */
  hasRawPending(id: number): boolean;
  counts(): {
    connections: number;
    registered: number;
    unregistered: number;
    registrationsDeferred: number;
    refused: Record<string, number>;
    descriptorReserve: { softLimit: number; reserve: number } | null;
  };
}

