/**
 * What the diffusion loop needs from a scheduler. One instance serves one generation: multistep
 * solvers (PNDM, DPM-Solver++) keep the previous model outputs between `step` calls.
 *
 * The loop, per index i of `timesteps`:
 *   input  = scaleModelInput(sample, i)             (Euler divides by √(σ²+1); others pass through)
 *   output = UNet(input, timesteps[i], text)
 *   sample = step(output, i, sample, noise)         (noise only when `needsNoise(i)`)
 * starting from Gaussian noise × `initNoiseSigma`.
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
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /** x_{t−1} from the model output at step `stepIndex`; `sample` is not modified. */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array;
}

export function requireNoise(name: string, noise: Float32Array | undefined, length: number): Float32Array {
  if (!noise || noise.length !== length) throw new Error(`${name}: this step needs ${length} noise values`);
  return noise;
}
