#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// Runs an ONNX model with onnxruntime-node, qc's reference oracle.
//
//   node ort_run.js MODEL.onnx INPUTS.json OUT_DIR [--opt LEVEL]
//        [--threads N] [--bench N] [--warmup N]
//
// INPUTS.json maps each model input name to a .npy file. Outputs are written
// to OUT_DIR/output_<i>.npy, and OUT_DIR/outputs.json maps their names to the
// files. LEVEL is ORT's graphOptimizationLevel ('disabled' by default, for
// exact reference numbers). With --bench N, prints 'median_ms <v>' over N runs
// after warm-up.

'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(process.env.QC_ORT_NODE_MODULE || 'onnxruntime-node');

const DTYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<f2': ['float16', Uint16Array], '<i8': ['int64', BigInt64Array],
  '<u8': ['uint64', BigUint64Array], '<i4': ['int32', Int32Array],
  '<u4': ['uint32', Uint32Array], '<i2': ['int16', Int16Array],
  '<u2': ['uint16', Uint16Array], '|i1': ['int8', Int8Array],
  '|u1': ['uint8', Uint8Array], '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY')
    throw new Error(`${file}: not a .npy file`);
  const major = buf.readUInt8(6);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header))
    throw new Error(`${file}: fortran order not supported`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const dims = shapeText.split(',').map(s => s.trim()).filter(s => s.length)
                   .map(Number);
  const spec = DTYPES[descr];
  if (!spec) throw new Error(`${file}: unsupported dtype ${descr}`);
  const [type, Ctor] = spec;
  const offset = start + headerLen;
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = buf.subarray(offset, offset + count * Ctor.BYTES_PER_ELEMENT);
  const data = new Ctor(bytes.buffer.slice(bytes.byteOffset,
                                           bytes.byteOffset + bytes.length));
  if (type === 'bool')
    return new ort.Tensor('bool', Uint8Array.from(data), dims);
  return new ort.Tensor(type, data, dims);
}

function writeNpy(file, tensor) {
  const entry = Object.entries(DTYPES).find(([, s]) => s[0] === tensor.type);
  if (!entry) throw new Error(`unsupported output type ${tensor.type}`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)`
                                         : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.writeUInt8(0x93, 0);
  head.write('NUMPY', 1, 'latin1');
  head.writeUInt8(1, 6);
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  let data = tensor.data;
  if (tensor.type === 'bool') data = Uint8Array.from(data, v => (v ? 1 : 0));
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

async function main() {
  const args = process.argv.slice(2);
  const positional = [];
  const opts = {opt: 'disabled', threads: 1, bench: 0, warmup: 3};
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--opt') opts.opt = args[++i];
    else if (args[i] === '--threads') opts.threads = Number(args[++i]);
    else if (args[i] === '--bench') opts.bench = Number(args[++i]);
    else if (args[i] === '--warmup') opts.warmup = Number(args[++i]);
    else positional.push(args[i]);
  }
  if (positional.length !== 3) {
    console.error('usage: ort_run.js MODEL.onnx INPUTS.json OUT_DIR [--opt LEVEL] [--threads N] [--bench N]');
    process.exit(2);
  }
  const [model, inputsJson, outDir] = positional;
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: opts.opt,
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
  });
  const spec = JSON.parse(fs.readFileSync(inputsJson, 'utf8'));
  const feeds = {};
  for (const name of session.inputNames) {
    if (!(name in spec)) throw new Error(`no data for input '${name}'`);
    feeds[name] = readNpy(spec[name]);
  }
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, {recursive: true});
  const manifest = {};
  session.outputNames.forEach((name, i) => {
    const file = path.join(outDir, `output_${i}.npy`);
    writeNpy(file, results[name]);
    manifest[name] = file;
  });
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(manifest));
  if (opts.bench > 0) {
    for (let i = 0; i < opts.warmup; ++i) await session.run(feeds);
    const times = [];
    for (let i = 0; i < opts.bench; ++i) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(`median_ms ${times[Math.floor(times.length / 2)].toFixed(4)}`);
    console.log(`min_ms ${times[0].toFixed(4)}`);
    console.log(`max_ms ${times[times.length - 1].toFixed(4)}`);
  }
}

main().catch(e => {
  console.error(`ort_run: ${e.message || e}`);
  process.exit(1);
});
