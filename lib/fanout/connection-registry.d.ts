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
  /**
   * Per slot of a registered connection's id (`id & slotMask`): 0 when
   * nothing listens to the events engine.io emits per packet it writes
   * (its "packetCreate" besides ours, "flush", "drain", or the server's
   * "flush" and "drain"), 1 when something does, 2 when the listeners can no
   * longer be followed and each broadcast must read them (watchedNow).
   */
  readonly watchState: Uint8Array;
  readonly slotMask: number;
  /** Whether a remainder of ours is still being written to connection `id`. */
  hasRawPending(id: number): boolean;
  /** Set once the process (or worker) emitted "exit": no connection is registered any more. */
  readonly closed: boolean;
  /** After a broadcast corked frames or a registration: the fan-out learns where this JS turn ends (one nextTick per turn). */
  markTurn(): void;
  /** Unregisters every connection, writing first what stock had written by now; registers none after. Runs at "exit". */
  close(): void;
  /** Broadcasts and recipients of the adapters on this registry, each recipient counted once. */
  readonly totals: {
    broadcasts: number;
    recipients: number;
    standardPath: { ack: number; encoding: number; listeners: number; events: number; unregistered: number };
  };
  counts(): {
    broadcasts: number;
    recipients: number;
    standardPath: { ack: number; encoding: number; listeners: number; events: number; unregistered: number };
    connections: number;
    registered: number;
    unregistered: number;
    registrationsDeferred: number;
    refused: Record<string, number>;
    descriptorReserve: { softLimit: number; reserve: number } | null;
  };
}

/** Whether anything besides the registry listens to the events engine.io emits per packet it writes to `conn`. */
export declare function watchedNow(conn: any): boolean;
export declare const NOT_WATCHED: 0;
export declare const WATCHED: 1;
