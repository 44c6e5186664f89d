/**
 * The seed's before/after comparison: every validation question answered by the base model and by
 * the tuned model (the base model loaded with the LoRA adapter), through the VQA task (same prompt,
 * settings and seed for both), scored against the reference answer with exact match, token F1 and
 * chrF. The caller loads both models (the CLI: the registry entry, and the same entry with the
 * `adapter` option), so any provider that applies adapters at load serves the tuned side.
 */
import type { ChatModel } from '../../models/spec/index.ts';
import { VQA_DEFAULTS } from '../vqa/settings.ts';
import { vqa } from '../vqa/vqa.ts';
import { chrf, corpusChrf, exactMatch, tokenF1 } from './answer-metrics.ts';
import { type PreparedDataset, rowImagePath } from './prepared-dataset.ts';

export interface AnswerScore {
  answer: string;
  exactMatch: number;
  f1: number;
  chrf: number;
}

export interface ComparedRow {
  image: string;
  question: string;
  reference: string;
  base: AnswerScore;
  tuned: AnswerScore;
}

export interface ModelSummary {
  exactMatch: number;
  f1: number;
  /** Mean of the sentence-level chrF scores. */
  chrf: number;
  /** chrF over the whole split (statistics summed first). */
  corpusChrf: number;
}

export interface CompareResult {
  model: string;
  adapter: string;
  prepared: string;
  rows: ComparedRow[];
  base: ModelSummary;
  tuned: ModelSummary;
  settings: { maxNewTokens: number; temperature: number; topP: number; seed: number };
}

export interface CompareOptions {
  dataset: PreparedDataset;
  /** The model the data was prepared for. */
  base: ChatModel;
  /** The same model with the adapter applied. */
  tuned: ChatModel;
  /** The adapter folder (or name), for the report. */
  adapter: string;
  /** Only the first `limit` validation rows. */
  limit?: number;
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  /** The same seed for both sides, so sampling differences come from the adapter alone. */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

function score(answer: string, reference: string): AnswerScore {
  return {
    answer,
    exactMatch: exactMatch(answer, reference),
    f1: tokenF1(answer, reference),
    chrf: chrf(answer, reference),
  };
}

function summarise(rows: readonly ComparedRow[], side: 'base' | 'tuned'): ModelSummary {
  const mean = (pick: (value: AnswerScore) => number) =>
    rows.length === 0 ? 0 : rows.reduce((sum, row) => sum + pick(row[side]), 0) / rows.length;
  return {
    exactMatch: mean((value) => value.exactMatch),
    f1: mean((value) => value.f1),
    chrf: mean((value) => value.chrf),
    corpusChrf: corpusChrf(rows.map((row) => ({ prediction: row[side].answer, reference: row.reference }))),
  };
}

export async function compareAdapter(options: CompareOptions): Promise<CompareResult> {
  const { dataset } = options;
  const settings = {
    maxNewTokens: options.maxNewTokens ?? VQA_DEFAULTS.maxNewTokens,
    temperature: options.temperature ?? VQA_DEFAULTS.temperature,
    topP: options.topP ?? VQA_DEFAULTS.topP,
    seed: options.seed ?? 42,
  };
  const validation = dataset.manifest.validationRows.slice(0, options.limit);
  const rows: ComparedRow[] = [];
  for (const [index, row] of validation.entries()) {
    const ask = async (model: ChatModel) =>
      (
        await vqa({
          image: rowImagePath(dataset, row),
          question: row.question,
          model,
          ...settings,
          ...(options.signal ? { signal: options.signal } : {}),
        })
      ).answer;
    const base = await ask(options.base);
    const adapted = await ask(options.tuned);
    rows.push({
      image: row.image,
      question: row.question,
      reference: row.answer,
      base: score(base, row.answer),
      tuned: score(adapted, row.answer),
    });
    options.onProgress?.(index + 1, validation.length);
  }
  return {
    model: dataset.manifest.model,
    adapter: options.adapter,
    prepared: dataset.folder,
    rows,
    base: summarise(rows, 'base'),
    tuned: summarise(rows, 'tuned'),
    settings,
  };
}
