// Typed usage under moduleResolution node10 (TypeScript 5, which ignores
// package.json "exports"): the package's root through "types" and its
// parser subpath through "typesVersions". types.test.js compiles it in a
// directory whose node_modules/socket.io-native links to this package.
import sio = require("socket.io-native");
import parserModule = require("socket.io-native/parser");

const options: sio.NativeAdapterOptions = {};
sio.createAdapter(options);
sio.createAdapter();

const encoder: parserModule.Encoder = new parserModule.Encoder();
const parts: any[] = encoder.encode({ type: parserModule.PacketType.EVENT, nsp: "/", data: ["hi"] });
const same: boolean = sio.parser.Decoder === parserModule.Decoder;
const native: boolean = sio.native;

// @ts-expect-error createAdapter takes no options yet
sio.createAdapter({ flushBudget: 1 });
// @ts-expect-error the parser has no such export
parserModule.encode;

void parts;
void same;
void native;
