/**
 * `trainAdapter`: LoRA training on a prepared folder. The decoder's config and frozen weights come
 * from the model the data was prepared with (`seams.ts`), the rows and image features from the
 * folder; epoch checkpoints go to `<out>/checkpoints`, and the finished adapter to `<out>` as a
 * PEFT folder, with module names under the model's decoder prefix.
 */
import { join } from 'node:path';
import { MmkitError } from '../../errors.ts';
import { peftTensorName } from '../../finetune/train/adapter-folder.ts';
import {
  type TrainingLogEntry,
  type TrainingProgress,
  type TrainLoraResult,
  trainLora,
} from '../../finetune/train/training-loop.ts';
import type { LoraTrainingSettings } from '../../finetune/train/training-settings.ts';
import { openPreparedDataset, preparedTrainingData } from './prepared-dataset.ts';
import { openTrainingModel, type TrainingModel, writeTrainedAdapter } from './seams.ts';

export interface TrainAdapterOptions {
  prepared: string;
  out: string;
  settings?: Partial<LoraTrainingSettings>;
  resume?: boolean;
  onLog?: (entry: TrainingLogEntry) => void;
  onProgress?: (progress: TrainingProgress) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** Default: `openTrainingModel` (the seam). */
  openModel?: (folder: string) => TrainingModel;
}

export interface TrainAdapterResult {
  adapter: string;
  files: { config: string; weights: string };
  checkpoints: string;
  model: string;
  settings: LoraTrainingSettings;
  totalSteps: number;
  trainRows: number;
  validationRows: number;
  log: TrainingLogEntry[];
  resumedFrom?: TrainLoraResult['resumedFrom'];
}

export async function trainAdapter(options: TrainAdapterOptions): Promise<TrainAdapterResult> {
  const dataset = openPreparedDataset(options.prepared);
  const { manifest } = dataset;
  const model = (options.openModel ?? openTrainingModel)(manifest.modelFolder);
  try {
    if (model.config.hiddenSize !== manifest.hiddenSize) {
      throw new MmkitError(
        `${options.prepared}: the image features are ${manifest.hiddenSize} wide but the decoder of ${manifest.model} is ${model.config.hiddenSize}; prepare the data again with this model`,
        { code: 'prepared_mismatch', param: 'prepared' },
      );
    }
    const checkpoints = join(options.out, 'checkpoints');
    const result = await trainLora({
      config: model.config,
      weights: model.weights,
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
    const tensors = Object.fromEntries(
      Object.entries(result.parameters).map(([name, data]) => [
        peftTensorName(name, model.modulePrefix),
        { shape: result.shapes[name], data },
      ]),
    );
    const files = writeTrainedAdapter(options.out, {
      baseModel: manifest.model,
      rank: settings.rank,
      alpha: settings.alpha,
      dropout: settings.dropout,
      targets: settings.targets,
      tensors,
    });
    return {
      adapter: options.out,
      files,
      checkpoints,
      model: manifest.model,
      settings,
      totalSteps: result.totalSteps,
      trainRows: manifest.train.length,
      validationRows: manifest.validationRows.length,
      log: result.history.log,
      ...(result.resumedFrom ? { resumedFrom: result.resumedFrom } : {}),
    };
  } finally {
    model.close();
  }
}
