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

