/**
 * Child process of bench/finetune.bench.ts: loads one training graph (an .onnx file the parent
 * wrote, so that building the graph's weights in JavaScript does not count), runs training steps on
 * a random batch, and prints JSON with the process's peak resident memory (VmHWM, KiB): over the
 * whole run, and over the steps alone (the peak is reset after session creation and one warm-up step).
 *
 * Plain JavaScript, run without a TypeScript loader: the measured process should hold what a
 * training process holds (tsx alone adds about 40 MiB to the resident set).
 *
 * Usage: node bench/finetune-step-memory.mjs MODEL.onnx SETUP_JSON
 *   SETUP_JSON: { batch, sequence, vocabularySize, trainable: [{ name, dims }], sessionOptions, steps }
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';

/** The process's peak resident memory since start or the last reset (VmHWM), in KiB. */
function peakKib() {
  const match = /VmHWM:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error('no VmHWM in /proc/self/status');
  return Number(match[1]);
}

const [modelPath, setupText] = process.argv.slice(2);
const setup = JSON.parse(setupText);
const count = setup.batch * setup.sequence;
const ids = (make) =>
  new Tensor(
    'int64',
    BigInt64Array.from({ length: count }, (_, index) => BigInt(make(index))),
    [setup.batch, setup.sequence],
  );
const feeds = {
  input_ids: ids((index) => (index * 7919) % setup.vocabularySize),
  attention_mask: ids(() => 1),
  position_ids: ids((index) => index % setup.sequence),
  labels: ids((index) => (index * 104729) % setup.vocabularySize),
};
for (const { name, dims } of setup.trainable) {
  const size = dims.reduce((product, dim) => product * dim, 1);
  feeds[name] = new Tensor(
    'float32',
    Float32Array.from({ length: size }, (_, index) => Math.sin(index) * 0.01),
    dims,
  );
}

const session = await InferenceSession.create(modelPath, setup.sessionOptions);
await session.run(feeds);
const afterWarmup = peakKib();
writeFileSync('/proc/self/clear_refs', '5');
for (let step = 0; step < setup.steps; step++) await session.run(feeds);
const steps = peakKib();
await session.release();
process.stdout.write(`${JSON.stringify({ wholeRunKib: Math.max(afterWarmup, steps), stepsKib: steps })}\n`);
