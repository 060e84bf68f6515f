// `node scripts/optimize-wasm.mjs <binaryen dir> <file.wasm>...`: what
// `wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --strip-producers
// --strip-target-features <file> -o <file>` does to each file, in one process.
//
// npm's wasm-opt is binaryen compiled to wasm behind a node script, and loading it costs about
// 2 s of CPU per run: over the release's 521 files that was most of the build's wasm-opt time
// (scripts/release). Here binaryen loads once. Measured against the command on the release's
// 521 files (BENCHMARKS.md, "Build and test times"): every file the same size, and 495 the
// same bytes; the rest number some types in another order (binaryen keeps one type store for
// every module a process reads, and breaks ties in use counts by it). Files are taken in the
// order given, so the same input gives the same output.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, ...files] = process.argv.slice(2);
const { default: binaryen } = await import(pathToFileURL(join(dir, 'index.js')).href);

// -Oz, which on the command line also optimizes the stack IR it writes the binary from.
binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
binaryen.setGenerateStackIR(true);
binaryen.setOptimizeStackIR(true);
// The command line's defaults and its two --enable flags, on top of the features the module's
// own target_features section declares.
const extra =
  binaryen.Features.MutableGlobals |
  binaryen.Features.SignExt |
  binaryen.Features.BulkMemory |
  binaryen.Features.NontrappingFPToInt;

// The command reads a module without its `name` section unless asked for debug info (`-g`);
// the library always reads it, so it is cut here first.
function withoutNames(wasm) {
  const kept = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const start = at++;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = wasm[at++];
      size |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    const end = at + size;
    if (!(wasm[start] === 0 && customName(wasm, at) === 'name')) kept.push(wasm.subarray(start, end));
    at = end;
  }
  return Buffer.concat(kept);
}

function customName(wasm, at) {
  const length = wasm[at]; // names of custom sections this short fit one LEB byte
  return length < 0x80 ? wasm.subarray(at + 1, at + 1 + length).toString() : '';
}

for (const file of files) {
  const module = binaryen.readBinary(withoutNames(readFileSync(file)));
  module.setFeatures(module.getFeatures() | extra);
  module.optimize();
  module.runPasses(['strip-producers', 'strip-target-features']);
  writeFileSync(file, module.emitBinary());
  module.dispose();
}
