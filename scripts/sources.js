'use strict';
// Lists the C++ translation units of one source folder for binding.gyp, so that
// gyp and CMake (which globs the same folders) always build the same files.
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const files = fs.readdirSync(path.join(__dirname, '..', dir))
  .filter((f) => f.endsWith('.cc'))
  .sort()
  .map((f) => `${dir}/${f}`);
process.stdout.write(files.join('\n') + '\n');
