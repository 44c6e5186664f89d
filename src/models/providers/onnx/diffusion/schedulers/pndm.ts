/**
 * PNDM (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on Manifolds"), Stable
 * Diffusion 1.x's default scheduler. Every update is the transfer φ(x_t, ε', t → t−δ) (eq. 11):
 *   x_{t−δ} = √(ᾱ_{t−δ}/ᾱ_t)·x_t − (ᾱ_{t−δ} − ᾱ_t)·ε' / (ᾱ_t·√(1−ᾱ_{t−δ}) + √(ᾱ_t(1−ᾱ_t)ᾱ_{t−δ}))
 * with ε' from one of three methods:
 * - pseudo linear multistep (PLMS, eq. 12): Adams–Bashforth over the last noise estimates,
 *   ε' = ε₀ (first), (3ε₁ − ε₀)/2, (23ε₂ − 16ε₁ + 5ε₀)/12, (55ε₃ − 59ε₂ + 37ε₁ − 9ε₀)/24;
 * - pseudo Runge–Kutta (PRK, eq. 13), the paper's warm-up for the first three steps when
 *   `skip_prk_steps` is false: four evaluations per step,
 *   e₁ = ε(x_t, t), e₂ = ε(φ(x_t, e₁, t, t−δ/2), t−δ/2), e₃ = ε(φ(x_t, e₂, t, t−δ/2), t−δ/2),
 *   e₄ = ε(φ(x_t, e₃, t, t−δ), t−δ), ε' = (e₁ + 2e₂ + 2e₃ + e₄)/6; e₁ joins the PLMS history.
 *   The half-way timestep is t−δ + ⌊δ/2⌋ (an integer the UNet can take). With fewer than four
 *   steps, the warm-up covers all transitions but the last, which is PLMS over what it has;
 * - with `skip_prk_steps` (SD 1.5), the improved-Euler warm-up diffusers uses instead: the first
 *   step runs twice, the second time with the mean of ε at both ends, so `steps` inference steps
 *   take steps + 1 UNet calls and the second timestep repeats.
 * v-prediction outputs are turned into ε at φ's start (x_t, ᾱ_t), as diffusers does.
 */
import { AlphaProductScheduler } from './alpha-product-scheduler.ts';
import type { SchedulerConfig } from './config.ts';
import { noiseEstimate, spacedTimesteps } from './noise-schedule.ts';
import type { DiffusionScheduler } from './scheduler.ts';

/** Adams–Bashforth weights on the last 1–4 outputs, oldest first (eq. 12). */
const ADAMS_BASHFORTH = [
  [1, 0, 0, 0],
  [-1 / 2, 3 / 2, 0, 0],
  [5 / 12, -16 / 12, 23 / 12, 0],
  [-9 / 24, 37 / 24, -59 / 24, 55 / 24],
];

/** PRK's warm-up length: enough history for fourth-order PLMS. */
const RUNGE_KUTTA_STEPS = 3;

/** One UNet call's update: a transition of the grid `from → to` (to undefined: past the last timestep). */
interface PlannedCall {
  method: 'multistep' | 'improved-euler' | 'runge-kutta';
  from: number;
  to: number | undefined;
  /** Runge–Kutta: which evaluation (0–3) and the half-way timestep. */
  stage: number;
  middle: number;
  /** Whether x_t must be kept for a later call of the same transition. */
  keepsStart: boolean;
}

function plan(grid: readonly number[], rungeKutta: boolean): PlannedCall[] {
  const transition = (index: number) => ({ from: grid[index], to: grid[index + 1], stage: 0, middle: 0 });
  const calls: PlannedCall[] = [];
  let first = 0;
  if (rungeKutta) {
    for (first = 0; first < Math.min(RUNGE_KUTTA_STEPS, grid.length - 1); first++) {
      const { from, to } = transition(first);
      const middle = to + Math.floor((from - to) / 2);
      for (let stage = 0; stage < 4; stage++) {
        calls.push({ method: 'runge-kutta', from, to, stage, middle, keepsStart: stage === 0 });
      }
    }
  } else if (grid.length > 1) {
    calls.push({ method: 'multistep', ...transition(0), keepsStart: true });
    calls.push({ method: 'improved-euler', ...transition(0), keepsStart: false });
    first = 1;
  }
  for (let index = first; index < grid.length; index++) {
    calls.push({ method: 'multistep', ...transition(index), keepsStart: false });
  }
  return calls;
}

/** The timestep the UNet sees at a call: Runge–Kutta evaluates at t, t−δ/2, t−δ/2, t−δ; improved Euler at t−δ. */
function callTimestep(call: PlannedCall): number {
  if (call.method === 'improved-euler') return call.to as number;
  if (call.method === 'multistep' || call.stage === 0) return call.from;
  return call.stage === 3 ? (call.to as number) : call.middle;
}

export class PndmScheduler extends AlphaProductScheduler implements DiffusionScheduler {
  readonly timesteps: readonly number[];
  private readonly calls: PlannedCall[];
  /** Raw model outputs of the multistep history, oldest first (at most four), in buffers of our own. */
  private history: Float32Array[] = [];
  /** x_t of the transition in progress (Runge–Kutta and improved Euler restart from it). */
  private start: Float32Array | undefined;
  /** ε' being built: the Runge–Kutta sum or the multistep combination. */
  private combined: Float32Array | undefined;

  /** `skip`: grid steps left out at the start (image to image); the warm-up runs from the first one kept. */
  constructor(config: SchedulerConfig, steps: number, skip = 0) {
    super('PNDMScheduler', config, steps, false);
    const grid = spacedTimesteps(config.timestepSpacing ?? 'leading', config, steps, true).slice(skip);
    this.calls = plan(grid, !config.skipPrkSteps);
    this.timesteps = this.calls.map(callTimestep);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): void {
    const call = this.calls[stepIndex];
    const length = sample.length;
    if (call.keepsStart) {
      this.start ??= new Float32Array(length);
      this.start.set(sample);
    }
    this.combined ??= new Float32Array(length);
    const combined = this.combined;
    const start = this.start as Float32Array;
    if (call.method === 'improved-euler') {
      const first = this.history[0];
      for (let index = 0; index < length; index++) combined[index] = (modelOutput[index] + first[index]) / 2;
      this.transfer(sample, start, combined, call.from, call.to);
    } else if (call.method === 'runge-kutta') {
      this.rungeKuttaStage(modelOutput, call, sample, start, combined);
    } else {
      this.remember(modelOutput);
      this.multistepTransfer(sample, call.from, call.to);
    }
  }

  private rungeKuttaStage(
    output: Float32Array,
    call: PlannedCall,
    sample: Float32Array,
    start: Float32Array,
    sum: Float32Array,
  ): void {
    const weight = call.stage === 0 || call.stage === 3 ? 1 / 6 : 1 / 3;
    if (call.stage === 0) {
      this.remember(output);
      for (let index = 0; index < sum.length; index++) sum[index] = weight * output[index];
    } else {
      for (let index = 0; index < sum.length; index++) sum[index] += weight * output[index];
    }
    if (call.stage === 3) this.transfer(sample, start, sum, call.from, call.to);
    else this.transfer(sample, start, output, call.from, call.stage === 2 ? call.to : call.middle);
  }

  /** Copies a model output into the history, reusing the oldest buffer once there are four. */
  private remember(output: Float32Array): void {
    const buffer = this.history.length === 4 ? (this.history.shift() as Float32Array) : new Float32Array(output.length);
    buffer.set(output);
    this.history.push(buffer);
  }

  /** target = φ(start, output, from → to); `to` undefined means past the last timestep. */
  private transfer(
    target: Float32Array,
    start: Float32Array,
    output: Float32Array,
    from: number,
    to: number | undefined,
  ): void {
    const { startWeight, outputWeight } = this.transferWeights(from, to);
    for (let index = 0; index < target.length; index++) {
      target[index] = startWeight * start[index] + outputWeight * output[index];
    }
  }

  /** sample = φ(sample, Adams–Bashforth combination of the history, from → to), in one pass. */
  private multistepTransfer(sample: Float32Array, from: number, to: number | undefined): void {
    const { startWeight, outputWeight } = this.transferWeights(from, to);
    const history = this.history;
    const coefficients = ADAMS_BASHFORTH[history.length - 1];
    // Fewer than four outputs: the missing ones get weight 0 (any array serves).
    const [a, b, c, d] = [0, 1, 2, 3].map((index) => history[index] ?? history[0]);
    const [wa, wb, wc, wd] = coefficients.map((coefficient) => coefficient * outputWeight);
    for (let index = 0; index < sample.length; index++) {
      sample[index] = startWeight * sample[index] + (wa * a[index] + wb * b[index] + wc * c[index] + wd * d[index]);
    }
  }

  /** φ(x, ε, from → to) = startWeight·x + outputWeight·y, with the model output y turned into ε. */
  private transferWeights(from: number, to: number | undefined): { startWeight: number; outputWeight: number } {
    const alphaProduct = this.cumulative[from];
    const alphaProductPrevious = this.alphaAt(to);
    const sampleWeight = Math.sqrt(alphaProductPrevious / alphaProduct);
    const noiseWeight =
      (alphaProductPrevious - alphaProduct) /
      (alphaProduct * Math.sqrt(1 - alphaProductPrevious) +
        Math.sqrt(alphaProduct * (1 - alphaProduct) * alphaProductPrevious));
    const noise = noiseEstimate(this.config.predictionType, Math.sqrt(alphaProduct), Math.sqrt(1 - alphaProduct));
    // x' = sampleWeight·x − noiseWeight·(noise.sample·x + noise.output·y), one weight on each.
    return { startWeight: sampleWeight - noiseWeight * noise.sample, outputWeight: -noiseWeight * noise.output };
  }
}
