/**
 * LoRA fine-tuning of a decoder, epoch by epoch: rows shuffled by seed, micro-batches of
 * `batchSize`, `accumulation` micro-batches per optimizer step (token-weighted, see
 * `accumulate.ts`), cosine learning rate with warm-up, gradient clipping, AdamW; a log entry every
 * `logEvery` steps, the evaluation loss and a checkpoint after every epoch, and a progress callback
 * after every step. `resume` continues from the newest checkpoint exactly as the uninterrupted run
 * would have gone on: data order, dropout masks and the schedule depend only on seed and step.
 */
import { MmkitError } from '../../errors.ts';
import type { DecoderConfig } from '../model/decoder-config.ts';
import type { FrozenQuantization } from '../model/quantized-weights.ts';
import { buildTrainingGraph, type TrainingGraph } from '../model/training-graph.ts';
import type { WeightSource } from '../model/weight-source.ts';
import { accumulateGradients } from './accumulate.ts';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { cosineSchedule, learningRateAt } from './cosine-schedule.ts';
import { epochOrder } from './epoch-order.ts';
import { initialLoraTensors } from './lora-init.ts';
import { LoraTrainer } from './lora-trainer.ts';
import { type FeedContext, microBatchFeeds } from './micro-batch-feeds.ts';
import { type TrainingExample, truncateExample } from './training-example.ts';
import { type LoraTrainingSettings, resolveTrainingSettings } from './training-settings.ts';

export interface TrainingData {
  train: readonly TrainingExample[];
  validation: readonly TrainingExample[];
  padTokenId: number;
  /** Set for vision-language data: the graph then takes `inputs_embeds` with image features merged in. */
  imageTokenId?: number;
  readFeatures?: (image: string) => Float32Array;
  /** Identifies the data (e.g. a hash of the prepared manifest); a resume must see the same. */
  fingerprint?: string;
}

export interface TrainingProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  learningRate: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export type TrainingLogEntry =
  | { type: 'train'; step: number; epoch: number; loss: number; learningRate: number; gradientNorm: number }
  | { type: 'evaluation'; step: number; epoch: number; loss: number | null; checkpoint: string | null };

export interface TrainingHistory {
  log: TrainingLogEntry[];
  /** Step losses since the last train log entry (kept across a resume so logs match too). */
  pendingLosses: number[];
}

export interface TrainLoraOptions {
  config: DecoderConfig;
  weights: WeightSource;
  data: TrainingData;
  settings?: Partial<LoraTrainingSettings>;
  /**
   * Where the checkpoint keeps the decoder (`openModelWeights(…).modulePrefix`, default `model.`):
   * the LoRA tensors are named after it, as PEFT names them for that model.
   */
  modulePrefix?: string;
  /** QLoRA: the frozen weights in block-wise 4-bit form (`--qlora`). */
  frozenQuantization?: FrozenQuantization;
  /** Where the training graph runs (default cpu). */
  device?: 'cpu' | 'cuda';
  /** Epoch checkpoints go here; none are written without it. */
  checkpointDir?: string;
  /** Continue from the newest checkpoint in `checkpointDir` (a fresh start when there is none). */
  resume?: boolean;
  /** Optimizer steps between train log entries (default 10). */
  logEvery?: number;
  onLog?: (entry: TrainingLogEntry) => void;
  onProgress?: (progress: TrainingProgress) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface TrainLoraResult {
  settings: LoraTrainingSettings;
  /** PEFT-named LoRA tensors (`base_model.model.<modulePrefix>layers.0.self_attn.q_proj.lora_A.weight`). */
  parameters: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
  totalSteps: number;
  history: TrainingHistory;
  /** The checkpoint the run continued from. */
  resumedFrom?: { epoch: number; step: number; folder: string };
}

interface CheckpointSettings {
  settings: LoraTrainingSettings;
  fingerprint: string | null;
  trainRows: number;
  /** The QLoRA format, or null for fp32 frozen weights (older checkpoints: absent). */
  quantization?: string | null;
}

export async function trainLora(options: TrainLoraOptions): Promise<TrainLoraResult> {
  const settings = resolveTrainingSettings(options.settings);
  const { data, config } = options;
  const warn = options.onWarning ?? (() => {});
  const train = data.train.map((example) => truncateExample(example, settings.maxLength, warn));
  const validation = data.validation.map((example) => truncateExample(example, settings.maxLength, warn));
  if (train.length === 0) {
    throw new MmkitError('there are no training rows', { code: 'no_training_data', param: 'prepared' });
  }
  const batchesPerEpoch = Math.ceil(train.length / settings.batchSize);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / settings.accumulation);
  const totalSteps = stepsPerEpoch * settings.epochs;
  const schedule = cosineSchedule(settings.learningRate, totalSteps, settings.warmupRatio);

  // The graph builder holds a JavaScript copy of every frozen weight: it goes straight into the
  // trainer, which keeps only the session and the graph's layout, so the copy can be collected.
  const trainer = await startTrainer(
    buildTrainingGraph({
      config,
      lora: { rank: settings.rank, alpha: settings.alpha, targets: settings.targets, dropout: settings.dropout },
      weights: options.weights,
      type: 'float32',
      input: data.imageTokenId === undefined ? 'ids' : 'embeds',
      ...(options.modulePrefix === undefined ? {} : { modulePrefix: options.modulePrefix }),
      ...(options.frozenQuantization ? { frozenQuantization: options.frozenQuantization } : {}),
    }),
    { settings, device: options.device ?? 'cpu' },
  );
  const training = trainer.layout;
  const feedContext: FeedContext = {
    training,
    config,
    padTokenId: data.padTokenId,
    ...(training.input === 'embeds'
      ? { embeddings: options.weights('model.embed_tokens.weight', [config.vocabularySize, config.hiddenSize]) }
      : {}),
    ...(data.imageTokenId === undefined ? {} : { imageTokenId: data.imageTokenId }),
    ...(data.readFeatures ? { readFeatures: data.readFeatures } : {}),
  };
  const shapes = Object.fromEntries(training.trainable.map(({ name, dims }) => [name, dims]));
  const checkpointSettings: CheckpointSettings = {
    settings,
    fingerprint: data.fingerprint ?? null,
    trainRows: train.length,
    quantization: options.frozenQuantization?.format ?? null,
  };

  let history: TrainingHistory = { log: [], pendingLosses: [] };
  let startEpoch = 0;
  let step = 0;
  let resumedFrom: TrainLoraResult['resumedFrom'];
  const latest = options.resume && options.checkpointDir ? latestCheckpoint(options.checkpointDir) : undefined;
  try {
    if (latest) {
      const checkpoint = loadCheckpoint<CheckpointSettings, TrainingHistory>(latest);
      requireSameRun(latest, checkpoint.state.settings, checkpointSettings);
      for (const [name, values] of Object.entries(trainer.parameters)) {
        const saved = checkpoint.parameters[name];
        if (saved?.length !== values.length) throw mismatch(latest, `LoRA tensor ${name} is missing or differs`);
        values.set(saved);
      }
      trainer.optimizer.loadState(checkpoint.optimizer);
      ({ history, epoch: startEpoch, step } = checkpoint.state);
      resumedFrom = { epoch: startEpoch, step, folder: latest };
    }

    const logEvery = options.logEvery ?? 10;
    const started = performance.now();
    const stepsAtStart = step;
    let tokensSeen = 0;
    for (let epoch = startEpoch; epoch < settings.epochs; epoch++) {
      const order = epochOrder(settings.seed, epoch, train.length);
      const batchRows = (batch: number) =>
        order.slice(batch * settings.batchSize, (batch + 1) * settings.batchSize).map((index) => train[index]);
      for (let epochStep = 0; epochStep < stepsPerEpoch; epochStep++) {
        const firstBatch = epochStep * settings.accumulation;
        const count = Math.min(settings.accumulation, batchesPerEpoch - firstBatch);
        const learningRate = learningRateAt(schedule, step);
        const stepIndex = step;
        const accumulated = await accumulateGradients(
          trainer,
          count,
          (micro) =>
            microBatchFeeds(
              feedContext,
              batchRows(firstBatch + micro),
              settings.dropout > 0
                ? { probability: settings.dropout, seed: settings.seed, stream: `step ${stepIndex}/micro ${micro}` }
                : undefined,
            ),
          options.signal,
        );
        const gradientNorm = trainer.update(accumulated.gradients, learningRate);
        step++;
        tokensSeen += accumulated.inputTokens;
        history.pendingLosses.push(accumulated.loss);
        if (step % logEvery === 0 || step === totalSteps) {
          const loss = history.pendingLosses.reduce((sum, value) => sum + value, 0) / history.pendingLosses.length;
          const entry: TrainingLogEntry = {
            type: 'train',
            step,
            epoch: step / stepsPerEpoch,
            loss,
            learningRate,
            gradientNorm,
          };
          history.log.push(entry);
          history.pendingLosses = [];
          options.onLog?.(entry);
        }
        const seconds = (performance.now() - started) / 1000;
        const done = step - stepsAtStart;
        options.onProgress?.({
          step,
          totalSteps,
          epoch: step / stepsPerEpoch,
          loss: accumulated.loss,
          learningRate,
          tokensPerSecond: seconds > 0 ? tokensSeen / seconds : 0,
          etaSeconds: (seconds / done) * (totalSteps - step),
        });
      }

      const evaluationLoss = await evaluateLoss(trainer, feedContext, validation, settings.batchSize, options.signal);
      const checkpoint = options.checkpointDir
        ? saveCheckpoint(
            options.checkpointDir,
            {
              state: {
                format: 'mmkit-lora-checkpoint',
                version: 1,
                epoch: epoch + 1,
                step,
                seed: settings.seed,
                settings: checkpointSettings,
                history: withEvaluation(history, step, epoch + 1, evaluationLoss, options.checkpointDir),
              },
              parameters: trainer.parameters,
              optimizer: trainer.optimizer.saveState(),
            },
            shapes,
          )
        : null;
      const entry: TrainingLogEntry = { type: 'evaluation', step, epoch: epoch + 1, loss: evaluationLoss, checkpoint };
      history.log.push(entry);
      options.onLog?.(entry);
    }
    const parameters = Object.fromEntries(
      Object.entries(trainer.parameters).map(([name, values]) => [name, Float32Array.from(values)]),
    );
    return { settings, parameters, shapes, totalSteps, history, ...(resumedFrom ? { resumedFrom } : {}) };
  } finally {
    await trainer.release();
  }
}

/** The history as the checkpoint stores it: with this epoch's evaluation entry already in. */
function withEvaluation(
  history: TrainingHistory,
  step: number,
  epoch: number,
  loss: number | null,
  root: string,
): TrainingHistory {
  const checkpoint = `${root}/epoch-${epoch}`.replace(/\\/g, '/');
  return { ...history, log: [...history.log, { type: 'evaluation', step, epoch, loss, checkpoint }] };
}

/** Mean loss over every trained token of `rows`, without dropout; null when there are none. */
export async function evaluateLoss(
  trainer: LoraTrainer,
  context: FeedContext,
  rows: readonly TrainingExample[],
  batchSize: number,
  signal?: AbortSignal,
): Promise<number | null> {
  if (rows.length === 0) return null;
  const { loss, trainedTokens } = await accumulateGradients(
    trainer,
    Math.ceil(rows.length / batchSize),
    (batch) => microBatchFeeds(context, rows.slice(batch * batchSize, (batch + 1) * batchSize), undefined),
    signal,
  );
  return trainedTokens > 0 ? loss : null;
}

function mismatch(folder: string, reason: string): MmkitError {
  return new MmkitError(`cannot resume from ${folder}: ${reason}; train without --resume or with the same settings`, {
    code: 'resume_mismatch',
    param: 'resume',
  });
}

function requireSameRun(folder: string, saved: CheckpointSettings, current: CheckpointSettings): void {
  if (saved.fingerprint !== current.fingerprint || saved.trainRows !== current.trainRows) {
    throw mismatch(folder, 'it was trained on different data');
  }
  const quantization = (value: string | null | undefined) => value ?? 'fp32';
  if (quantization(saved.quantization) !== quantization(current.quantization)) {
    throw mismatch(
      folder,
      `it was trained with frozen weights ${quantization(saved.quantization)}, not ${quantization(current.quantization)}`,
    );
  }
  for (const [key, value] of Object.entries(current.settings)) {
    const before = (saved.settings as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(before) !== JSON.stringify(value)) {
      throw mismatch(folder, `it was trained with ${key} ${JSON.stringify(before)}, not ${JSON.stringify(value)}`);
    }
  }
}

function startTrainer(
  training: TrainingGraph,
  { settings, device }: { settings: LoraTrainingSettings; device: 'cpu' | 'cuda' },
): Promise<LoraTrainer> {
  return LoraTrainer.create(training, initialLoraTensors(training.trainable, settings.seed), {
    maxGradientNorm: settings.maxGradientNorm,
    weightDecay: settings.weightDecay,
    device,
  });
}
