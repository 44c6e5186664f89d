/** Fine-tuning tasks: prepare a data set, train a LoRA adapter, compare before/after, export for TRL. */
export type { ChrfStatistics } from './answer-metrics.ts';
export { answerTokens, chrf, chrfScore, chrfStatistics, corpusChrf, exactMatch, tokenF1 } from './answer-metrics.ts';
export type { AnswerScore, ComparedRow, CompareOptions, CompareResult, ModelSummary } from './compare.ts';
export { compareAdapter } from './compare.ts';
export { compareHtml, compareMarkdown, writeCompareReport } from './compare-report.ts';
export type { TrlExport } from './export-trl.ts';
export { exportTrl } from './export-trl.ts';
export { peakResidentBytes } from './peak-memory.ts';
export type { PrepareOptions } from './prepare.ts';
export { PREPARE_DEFAULTS, prepareFinetuneData } from './prepare.ts';
export type { PreparedDataset, PreparedManifest, PreparedRow } from './prepared-dataset.ts';
export { openPreparedDataset, preparedTrainingData } from './prepared-dataset.ts';
export type { TrainAdapterOptions, TrainAdapterResult } from './train.ts';
export { trainAdapter } from './train.ts';
export type { TrainedTensors } from './trained-adapter.ts';
export { trainedPeftAdapter } from './trained-adapter.ts';
