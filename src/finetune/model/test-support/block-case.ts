/** The decoder test cases in `../testdata/` (`tools/reference/finetune_block.py` writes them and their goldens). */
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-node';
import type { DecoderConfig, LoraConfig } from '../decoder-config.ts';

export interface BlockCase {
  seed: number;
  config: DecoderConfig;
  lora: LoraConfig;
  inputIds: number[][];
  attentionMask: number[][];
  positionIds: number[][];
  labels: number[][];
  loraDropout?: { probability: number; seed: number };
  inputsEmbeds?: { imageTokenId: number; seed: number };
}

/** A JSON file of the test data folder, e.g. `llama-tiny.case.json`. */
export function readTestData<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../testdata/${file}`, import.meta.url), 'utf8')) as T;
}

export const readCase = (name: string): BlockCase => readTestData<BlockCase>(`${name}.case.json`);

/** Rows of token ids (or masks, positions, labels) as an int64 [rows, columns] tensor. */
export function tokens(rows: number[][]): Tensor {
  return new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
}
