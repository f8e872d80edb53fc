export {
  createAdapter,
  NativeAdapter,
  NativeAdapterOptions,
  NativeSessionAwareAdapter,
  nativeRooms,
} from "./adapter";

/** Whether the native addon loaded. */
export declare const native: boolean;
