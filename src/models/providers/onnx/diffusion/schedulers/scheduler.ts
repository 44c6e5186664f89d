/**
 * What the diffusion loop needs from a scheduler. One instance serves one generation: multistep
 * solvers (PNDM, DPM-Solver++) keep what they need of earlier steps in their own buffers.
 *
 * The loop, per index i of `timesteps`:
 *   input  = inputScale(i) · sample                 (Euler: 1/√(σ²+1); the others: 1)
 *   output = UNet(input, timesteps[i], text)
 *   step(output, i, sample, noise)                  (sample updated in place; noise only when `needsNoise(i)`)
 * starting from Gaussian noise × `initNoiseSigma` (text to image) or from an encoded image noised to
 * `noiseLevel(0)` (image to image, whose scheduler skips the first steps of the grid). The scale is a number rather than a scaled copy
 * and the step works in place so that the loop copies and allocates nothing per step.
 */

export type SchedulerClassName =
  | 'PNDMScheduler'
  | 'DDIMScheduler'
  | 'EulerDiscreteScheduler'
  | 'EulerAncestralDiscreteScheduler'
  | 'DPMSolverMultistepScheduler'
  | 'LCMScheduler';

export interface DiffusionScheduler {
  readonly name: SchedulerClassName;
  /** The training timestep of each UNet call, in order (PNDM repeats one). May be fractional (Euler). */
  readonly timesteps: readonly number[];
  /** Standard deviation of the initial latents. */
  readonly initNoiseSigma: number;
  /** Whether step `stepIndex` draws fresh Gaussian noise (ancestral and LCM sampling). */
  needsNoise(stepIndex: number): boolean;
  /**
   * The sample at step `stepIndex`'s noise level is signal·x₀ + noise·ε: where image-to-image starts,
   * from the encoded image x₀ and seeded noise ε (diffusers' `add_noise` at that step's timestep).
   */
  noiseLevel(stepIndex: number): { signal: number; noise: number };
  /** The factor the UNet's input (the current sample) is multiplied by at step `stepIndex`. */
  inputScale(stepIndex: number): number;
  /**
   * Replaces `sample` (x_t) with x_{t−1} from the model output at step `stepIndex`. Neither
   * `modelOutput` nor `noise` is kept: the caller may overwrite them after the call.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): void;
}

export function requireNoise(name: string, noise: Float32Array | undefined, length: number): Float32Array {
  if (!noise || noise.length !== length) throw new Error(`${name}: this step needs ${length} noise values`);
  return noise;
}
