import { Emitter } from "@socket.io/component-emitter";

/** Protocol version (5). */
export declare const protocol: number;

/** Packet types of the Socket.IO protocol. */
export declare enum PacketType {
  CONNECT = 0,
  DISCONNECT = 1,
  EVENT = 2,
  ACK = 3,
  CONNECT_ERROR = 4,
  BINARY_EVENT = 5,
  BINARY_ACK = 6,
}

/** A decoded or to-be-encoded packet. */
export interface Packet {
  type: PacketType;
  nsp: string;
  data?: any;
  id?: number;
  attachments?: number;
}

type JSONReplacer = (this: any, key: string, value: any) => any;
type JSONReviver = (this: any, key: string, value: any) => any;

/** Encodes packets exactly like socket.io-parser's Encoder. */
export declare class Encoder {
  /** @param replacer passed to JSON.stringify */
  constructor(replacer?: JSONReplacer);
  /**
   * Encodes a packet as one string, or as a string followed by its binary
   * attachments when an EVENT or ACK carries binary data.
   */
  encode(obj: Packet): any[];
}

export interface DecoderOptions {
  /** Custom reviver to pass down to JSON.parse(). */
  reviver?: JSONReviver;
  /**
   * Maximum number of binary attachments per packet.
   * @default 10
   */
  maxAttachments?: number;
}

interface DecoderReservedEvents {
  decoded: (packet: Packet) => void;
}

/**
 * Decodes packets exactly like socket.io-parser's Decoder: add() each encoded
 * part, complete packets are emitted as "decoded".
 */
export declare class Decoder extends Emitter<{}, {}, DecoderReservedEvents> {
  constructor(opts?: DecoderOptions | JSONReviver);
  /** Decodes one encoded part: a packet string or a binary attachment. */
  add(obj: any): void;
  /** Drops a partially received binary packet. */
  destroy(): void;
}

/** Whether a packet is valid to be sent (namespace, ack id, data for its type). */
export declare function isPacketValid(packet: Packet): boolean;
