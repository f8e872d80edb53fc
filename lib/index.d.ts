import * as parser from "./parser";

/** Packet parser for `new Server(httpServer, { parser })`. */
export { parser };

export {
  createAdapter,
  NativeAdapter,
  NativeAdapterOptions,
  NativeSessionAwareAdapter,
  nativeRooms,
} from "./adapter";

/** Whether the native addon loaded. */
export declare const native: boolean;
