import { ConnectionRegistry } from "./connection-registry";
import { FanoutStats } from "../adapters/adapter";

/** The part of the adapter's room index the fan-out uses: a cache slot per socket int, zeroed when the socket leaves. */
export interface SlotTags {
  slotTags: Uint32Array;
}

/** A namespace adapter's side of the native fan-out. */
export declare class NativeFanout {
  constructor(registry: ConnectionRegistry, index: SlotTags);
  /** Starts a broadcast at nesting depth `depth`. */
  begin(depth: number, packet: any, encodedPackets: any, packetOpts: any): void;
  /** Takes `socket` (socket int `s`) for the native path; false: write it the standard way. */
  take(depth: number, s: number, socket: any): boolean;
  /** Writes the broadcast to the sockets taken so far at `depth`. */
  end(depth: number, last?: boolean): void;
  stats(): FanoutStats;
  /** Counts a broadcast to `recipients` sockets; `acked`: all of them took the standard path (an ack). */
  counted(recipients: number, acked: boolean): void;
}

/**
 * The per-recipient loop of a broadcast on native rooms: recipients offered to `fanout` (null: none),
 * the others written with `write`. Returns the number of recipients.
 */
export declare function deliver(adapter: any, opts: { rooms: Set<any>; except?: Set<any> }, fanout: NativeFanout | null,
  packet: any, encodedPackets: any, packetOpts: any, write: (socket: any) => void): number;
/** A NativeFanout for one adapter, or null when the fan-out is not available. */
export declare function createNativeFanout(index: SlotTags): NativeFanout | null;
/** Whether broadcasts can take the native fan-out (addon loaded, not SOCKET_IO_NATIVE_FANOUT=0). */
export declare function fanoutAvailable(): boolean;
/** The process's ConnectionRegistry, or null. */
export declare function connectionRegistry(): ConnectionRegistry | null;
