/**
 * The STFT → power → mel projection of `spectrogram.ts` on the WebAssembly SIMD kernels: a batch of
 * 16 frames at a time, each f32x4 lane one frame. Sizes whose half factors only into 2, 4 and 5.
 */
import { factorize } from '../fft.ts';
import type { MelFilterBank } from '../mel-filters.ts';
import type { PadMode, Spectrogram } from '../spectrogram.ts';
import { Arena, type AudioSimdKernels } from './audio-simd.ts';

const BATCH = 16;

export function simdSupportsSize(nFft: number): boolean {
  return nFft % 2 === 0 && nFft >= 8 && factorize(nFft / 2).every((radix) => radix === 2 || radix === 4 || radix === 5);
}

export interface SimdMelOptions {
  nFft: number;
  hopLength: number;
  center: boolean;
  padMode: PadMode;
  power: number;
  bank: MelFilterBank;
  window: Float64Array;
  nFrames: number;
}

export function melPowerSimd(
  simd: AudioSimdKernels,
  samples: Float32Array | Float64Array,
  options: SimdMelOptions,
): Spectrogram {
  const { nFft, hopLength, center, padMode, power, bank, window, nFrames } = options;
  const half = nFft / 2;
  const nMels = bank.nMels;
  const arena = new Arena(simd);

  const windowAt = arena.allocate(nFft);
  const stages = planStages(arena, half);
  const splitAt = arena.allocate(2 * (half + 1));
  const firstAt = arena.allocate(nMels);
  const offsetAt = arena.allocate(nMels + 1);
  const weightAt = arena.allocate(bank.weights.length);
  const buffers = [0, 1, 2, 3].map(() => arena.allocate(half * BATCH));
  const powerAt = arena.allocate((half + 1) * BATCH);
  // Output rows padded to whole batches, so the last batch's spare lanes land in padding.
  const rowLength = Math.ceil(nFrames / BATCH) * BATCH;
  const outAt = arena.allocate(nMels * rowLength);
  const segmentLength = (BATCH - 1) * hopLength + nFft;
  const segmentAt = arena.allocate(segmentLength);

  // Constant tables (views taken after the last allocation: growth detaches older ones).
  arena.floats(windowAt, nFft).set(window);
  for (const stage of stages) arena.floats(stage.twiddleAt, stage.twiddles.length).set(stage.twiddles);
  const split = arena.floats(splitAt, 2 * (half + 1));
  for (let k = 0; k <= half; k++) {
    split[2 * k] = Math.cos((-2 * Math.PI * k) / nFft);
    split[2 * k + 1] = Math.sin((-2 * Math.PI * k) / nFft);
  }
  arena.integers(firstAt, nMels).set(bank.firstBin);
  arena.integers(offsetAt, nMels + 1).set(bank.offset);
  arena.floats(weightAt, bank.weights.length).set(bank.weights);
  const segment = arena.floats(segmentAt, segmentLength);
  const powerView = arena.floats(powerAt, (half + 1) * BATCH);

  const shift = center ? half : 0;
  const bytesPerBin = 4 * BATCH;
  for (let batchStart = 0; batchStart < nFrames; batchStart += BATCH) {
    const count = Math.min(BATCH, nFrames - batchStart);
    const from = batchStart * hopLength - shift;
    fillSegment(segment, samples, from, (count - 1) * hopLength + nFft, padMode);
    simd.loadFrames(segmentAt, 4 * hopLength, count, windowAt, half, buffers[0], buffers[1], bytesPerBin);
    let source = 0;
    for (const stage of stages) {
      const target = 2 - source;
      const [xr, xi, yr, yi] = [buffers[source], buffers[source + 1], buffers[target], buffers[target + 1]];
      if (stage.radix === 4) simd.radix4(xr, xi, yr, yi, stage.span, stage.stride, stage.twiddleAt);
      else if (stage.radix === 5) simd.radix5(xr, xi, yr, yi, stage.span, stage.stride, stage.twiddleAt);
      else simd.radix2(xr, xi, yr, yi, stage.span, stage.stride, stage.twiddleAt);
      source = target;
    }
    simd.splitPower(buffers[source], buffers[source + 1], powerAt, half, bytesPerBin, splitAt);
    if (power !== 2) {
      const exponent = power / 2;
      for (let i = 0; i < powerView.length; i++) powerView[i] = powerView[i] ** exponent;
    }
    simd.melProject(powerAt, bytesPerBin, nMels, firstAt, offsetAt, weightAt, outAt + 4 * batchStart, 4 * rowLength);
  }
  const rows = arena.floats(outAt, nMels * rowLength);
  const data = new Float32Array(nMels * nFrames);
  for (let mel = 0; mel < nMels; mel++)
    data.set(rows.subarray(mel * rowLength, mel * rowLength + nFrames), mel * nFrames);
  return { data, nMels, nFrames };
}

interface PlannedStage {
  radix: number;
  span: number;
  stride: number;
  twiddles: Float32Array;
  twiddleAt: number;
}

function planStages(arena: Arena, half: number): PlannedStage[] {
  const stages: PlannedStage[] = [];
  let length = half;
  let stride = BATCH;
  for (const radix of factorize(half)) {
    const span = length / radix;
    const twiddles = new Float32Array(span * (radix - 1) * 2);
    for (let j = 0; j < span; j++) {
      for (let r = 1; r < radix; r++) {
        const angle = (-2 * Math.PI * j * r) / length;
        twiddles[(j * (radix - 1) + r - 1) * 2] = Math.cos(angle);
        twiddles[(j * (radix - 1) + r - 1) * 2 + 1] = Math.sin(angle);
      }
    }
    stages.push({ radix, span, stride, twiddles, twiddleAt: arena.allocate(twiddles.length) });
    length = span;
    stride *= radix;
  }
  return stages;
}

/** segment[i] = the padded signal at from + i, for i < length. */
function fillSegment(
  segment: Float32Array,
  samples: Float32Array | Float64Array,
  from: number,
  length: number,
  padMode: PadMode,
): void {
  const total = samples.length;
  if (from >= 0 && from + length <= total) {
    segment.set(samples.subarray(from, from + length));
    return;
  }
  const period = 2 * (total - 1);
  for (let i = 0; i < length; i++) {
    let index = from + i;
    if (index < 0 || index >= total) {
      if (padMode === 'constant' || period === 0) {
        segment[i] = 0;
        continue;
      }
      index = ((index % period) + period) % period;
      if (index >= total) index = period - index;
    }
    segment[i] = samples[index];
  }
}
