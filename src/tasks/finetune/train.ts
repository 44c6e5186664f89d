/**
 * `trainAdapter`: LoRA training on a prepared folder. The decoder's config (`config.json`) and
 * frozen fp32 weights (`model.safetensors`) come from the model the data was prepared with, the
 * rows and image features from the folder; epoch checkpoints go to `<out>/checkpoints`, and the
 * finished adapter to `<out>` as a PEFT folder whose module names are the checkpoint's own
 * (`language_model.model.layers.0.self_attn.q_proj` in a LLaVA checkpoint), so PEFT loads it.
 */
import { join } from 'node:path';
import { MmkitError } from '../../errors.ts';
import type { QuantizationFormat } from '../../finetune/model/block-quantization.ts';
import { readDecoderConfig } from '../../finetune/model/hub-config.ts';
import { openModelWeights } from '../../finetune/model/model-weights.ts';
import { blockSizeFor } from '../../finetune/model/quantized-weights.ts';
import {
  type TrainingLogEntry,
  type TrainingProgress,
  type TrainLoraResult,
  trainLora,
} from '../../finetune/train/training-loop.ts';
import type { LoraTrainingSettings } from '../../finetune/train/training-settings.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, writePeftAdapter } from '../../models/adapters/peft-adapter.ts';
import { checkDevice } from '../../models/providers/onnx/device.ts';
import { peakResidentBytes } from './peak-memory.ts';
import { openPreparedDataset, preparedTrainingData } from './prepared-dataset.ts';
import { trainedPeftAdapter } from './trained-adapter.ts';

export interface TrainAdapterOptions {
  prepared: string;
  out: string;
  settings?: Partial<LoraTrainingSettings>;
  /** QLoRA: keep the frozen weights in this block-wise 4-bit format. */
  qlora?: QuantizationFormat;
  /** `cpu` (default) or `cuda`, which needs onnxruntime-node's CUDA provider. */
  device?: string;
  resume?: boolean;
  onLog?: (entry: TrainingLogEntry) => void;
  onProgress?: (progress: TrainingProgress) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface TrainAdapterResult {
  adapter: string;
  files: { config: string; weights: string };
  checkpoints: string;
  model: string;
  settings: LoraTrainingSettings;
  /** The frozen weights' format: `fp32`, or the QLoRA format. */
  frozenWeights: 'fp32' | QuantizationFormat;
  totalSteps: number;
  trainRows: number;
  validationRows: number;
  log: TrainingLogEntry[];
  /** Peak resident memory of the process (VmHWM), null where the system does not report it. */
  peakMemoryBytes: number | null;
  resumedFrom?: TrainLoraResult['resumedFrom'];
}

export async function trainAdapter(options: TrainAdapterOptions): Promise<TrainAdapterResult> {
  // Checked before reading anything, so that a missing CUDA provider fails fast.
  const device = checkDevice(options.device);
  const dataset = openPreparedDataset(options.prepared);
  const { manifest } = dataset;
  const config = readDecoderConfig(manifest.modelFolder);
  if (config.hiddenSize !== manifest.hiddenSize) {
    throw new MmkitError(
      `${options.prepared}: the image features are ${manifest.hiddenSize} wide but the decoder of ${manifest.model} is ${config.hiddenSize}; prepare the data again with this model`,
      { code: 'prepared_mismatch', param: 'prepared' },
    );
  }
  const weights = openModelWeights(manifest.modelFolder, config);
  try {
    const checkpoints = join(options.out, 'checkpoints');
    const result = await trainLora({
      config,
      weights: weights.source,
      modulePrefix: weights.modulePrefix,
      ...(options.qlora ? { frozenQuantization: { format: options.qlora, blockSize: blockSizeFor(config) } } : {}),
      device,
      data: preparedTrainingData(dataset),
      settings: { maxLength: manifest.maxLength, ...options.settings },
      checkpointDir: checkpoints,
      resume: options.resume ?? false,
      ...(options.onLog ? { onLog: options.onLog } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const { settings } = result;
    writePeftAdapter(options.out, trainedPeftAdapter(result, settings, manifest.model));
    return {
      adapter: options.out,
      files: { config: join(options.out, ADAPTER_CONFIG_FILE), weights: join(options.out, ADAPTER_WEIGHTS_FILE) },
      checkpoints,
      model: manifest.model,
      settings,
      frozenWeights: options.qlora ?? 'fp32',
      totalSteps: result.totalSteps,
      trainRows: manifest.train.length,
      validationRows: manifest.validationRows.length,
      log: result.history.log,
      peakMemoryBytes: peakResidentBytes(),
      ...(result.resumedFrom ? { resumedFrom: result.resumedFrom } : {}),
    };
  } finally {
    weights.close();
  }
}
