import * as parser from "./parser";

/** Packet parser for `new Server(httpServer, { parser })`. */
export { parser };

/** Whether the native addon is loaded. */
export declare const native: boolean;
