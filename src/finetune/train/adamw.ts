/**
 * AdamW on the LoRA tensors, with PyTorch's semantics (torch.optim.AdamW, the optimizer Hugging
 * Face's Trainer and PEFT use): decoupled weight decay p ← p·(1 − lr·λ), first/second moment
 * estimates, bias correction, ε added after the bias-corrected square root. State is float32 like
 * PyTorch's; the arithmetic is float64 and rounded on store.
 */

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Hugging Face's TrainingArguments default is 0 (torch's own default is 0.01). */
  weightDecay?: number;
}

export interface AdamWState {
  step: number;
  /** Per parameter: first and second moments. */
  moments: Record<string, { first: Float32Array; second: Float32Array }>;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private state: AdamWState = { step: 0, moments: {} };

  constructor(options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  get stepCount(): number {
    return this.state.step;
  }

  /** Updates every parameter in place from its gradient, at learning rate `learningRate`. */
  step(
    parameters: Readonly<Record<string, Float32Array>>,
    gradients: Readonly<Record<string, ArrayLike<number>>>,
    learningRate: number,
  ): void {
    this.state.step += 1;
    const { step } = this.state;
    const correction1 = 1 - this.beta1 ** step;
    const correction2Root = Math.sqrt(1 - this.beta2 ** step);
    const stepSize = learningRate / correction1;
    const decay = 1 - learningRate * this.weightDecay;
    for (const [name, parameter] of Object.entries(parameters)) {
      const gradient = gradients[name];
      if (!gradient || gradient.length !== parameter.length) {
        throw new Error(`AdamW: gradient for "${name}" is missing or has the wrong size`);
      }
      let moments = this.state.moments[name];
      if (!moments) {
        moments = { first: new Float32Array(parameter.length), second: new Float32Array(parameter.length) };
        this.state.moments[name] = moments;
      }
      const { first, second } = moments;
      for (let index = 0; index < parameter.length; index++) {
        const value = gradient[index];
        first[index] = this.beta1 * first[index] + (1 - this.beta1) * value;
        second[index] = this.beta2 * second[index] + (1 - this.beta2) * value * value;
        const denominator = Math.sqrt(second[index]) / correction2Root + this.epsilon;
        parameter[index] = parameter[index] * decay - (stepSize * first[index]) / denominator;
      }
    }
  }

  /** A copy of the optimizer state, for checkpoints. */
  saveState(): AdamWState {
    const moments: AdamWState['moments'] = {};
    for (const [name, { first, second }] of Object.entries(this.state.moments)) {
      moments[name] = { first: Float32Array.from(first), second: Float32Array.from(second) };
    }
    return { step: this.state.step, moments };
  }

  loadState(state: AdamWState): void {
    const moments: AdamWState['moments'] = {};
    for (const [name, { first, second }] of Object.entries(state.moments)) {
      moments[name] = { first: Float32Array.from(first), second: Float32Array.from(second) };
    }
    this.state = { step: state.step, moments };
  }
}
