/**
 * One optimizer step of LoRA training: run the training graph (forward + backward in one
 * onnxruntime session), clip the gradients' global norm, and let AdamW update the LoRA tensors,
 * which are fed back as graph inputs on the next step. Frozen weights never leave the session.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { TrainingGraph, TrainingLayout } from '../model/training-graph.ts';
import { AdamW, type AdamWOptions } from './adamw.ts';
import { clipGradientNorm } from './gradient-clipping.ts';
import { batchFeeds, type TokenBatch } from './token-batch.ts';

export interface LoraTrainerOptions extends AdamWOptions {
  /** Hugging Face's default max_grad_norm is 1.0; 0 disables clipping. */
  maxGradientNorm?: number;
  /** `cuda` runs the graph on onnxruntime-node's CUDA provider (CPU for what it lacks); default `cpu`. */
  device?: 'cpu' | 'cuda';
}

export interface StepResult {
  loss: number;
  /** The gradients' global norm before clipping. */
  gradientNorm: number;
}

export interface Evaluation {
  loss: number;
  gradients: Record<string, Float32Array>;
  /** Present when the graph was built with `outputLogits`. */
  logits?: Tensor;
}

export class LoraTrainer {
  readonly optimizer: AdamW;

  private constructor(
    private readonly session: InferenceSession,
    /** The graph's inputs and outputs; the trainer keeps no reference to its weights. */
    readonly layout: TrainingLayout,
    readonly parameters: Record<string, Float32Array>,
    private readonly maxGradientNorm: number,
    optimizerOptions: AdamWOptions,
  ) {
    this.optimizer = new AdamW(optimizerOptions);
  }

  static async create(
    training: TrainingGraph,
    parameters: Record<string, Float32Array>,
    options: LoraTrainerOptions = {},
  ): Promise<LoraTrainer> {
    for (const { name } of training.trainable) {
      if (!parameters[name]) throw new Error(`no initial value for LoRA tensor "${name}"`);
    }
    const session = await InferenceSession.create(training.graph.toBytes(), {
      ...training.sessionOptions,
      executionProviders: options.device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    });
    const { graph: _graph, sessionOptions: _sessionOptions, ...layout } = training;
    return new LoraTrainer(session, layout, parameters, options.maxGradientNorm ?? 1, options);
  }

  /** Loss and gradients at the current parameters, without updating them. */
  async evaluate(batch: TokenBatch): Promise<Evaluation> {
    return this.run(batchFeeds(batch));
  }

  /**
   * Loss and gradients for any feeds (token ids or `inputs_embeds`, dropout masks), with the
   * current LoRA tensors added; feeds the graph does not take are left out.
   */
  async run(batchFeeds: Readonly<Record<string, Tensor>>): Promise<Evaluation> {
    const feeds: Record<string, Tensor> = {};
    for (const name of this.session.inputNames) if (batchFeeds[name]) feeds[name] = batchFeeds[name];
    for (const { name, dims } of this.layout.trainable) {
      feeds[name] = new Tensor('float32', this.parameters[name], dims);
    }
    const result = await this.session.run(feeds);
    const gradients: Record<string, Float32Array> = {};
    for (const { name } of this.layout.trainable) {
      gradients[name] = result[this.layout.gradients.get(name)!].data as Float32Array;
    }
    return { loss: Number(result.loss.data[0]), gradients, logits: result.logits };
  }

  async step(batch: TokenBatch, learningRate: number): Promise<StepResult> {
    const { loss, gradients } = await this.evaluate(batch);
    return { loss, gradientNorm: this.update(gradients, learningRate) };
  }

  /** Clips `gradients` (in place) and lets AdamW apply them; returns the norm before clipping. */
  update(gradients: Record<string, Float32Array>, learningRate: number): number {
    const limit = this.maxGradientNorm > 0 ? this.maxGradientNorm : Number.POSITIVE_INFINITY;
    const gradientNorm = clipGradientNorm(Object.values(gradients), limit);
    this.optimizer.step(this.parameters, gradients, learningRate);
    return gradientNorm;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
