'use strict';

/**
 * Runs after `node-gyp-build` failed at install time: there is no prebuilt
 * binary for this platform and building from source did not work (no
 * compiler, no Python, ...). The package still works through socket.io's own
 * adapter and parser, so the install goes on with one line saying so.
 */

const platform = `${process.platform}-${process.arch}`;
process.stderr.write(
  `socket.io-native: no prebuilt binary for ${platform} and the build from source failed ` +
    "(see above); installed without the native addon, socket.io's JS adapter and parser " +
    'will be used\n'
);
process.exitCode = 0;
