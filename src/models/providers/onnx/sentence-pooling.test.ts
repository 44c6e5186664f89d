import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePoolingModes, poolTokens, readSentenceTransformersSetup } from './sentence-pooling.ts';

/** Two rows of three 2-wide tokens: row 0 has two real tokens then padding, row 1 is left-padded. */
const TOKENS = new Float32Array([...[1, 0, 3, 4, 100, 100], ...[100, 100, 0, 2, 6, 0]]);
const MASK = [1, 1, 0, 0, 1, 1];
const SHAPE = [2, 3, 2] as const;

function unit(values: number[]): number[] {
  const length = Math.hypot(...values);
  return values.map((value) => value / length);
}

function expectVector(actual: Float32Array | undefined, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  for (const [index, value] of expected.entries()) expect(actual![index]).toBeCloseTo(value, 6);
}

describe('poolTokens', () => {
  it('means, maxes and weighs over the real tokens only, normalised', () => {
    const [mean0, mean1] = poolTokens(TOKENS, SHAPE, MASK, ['mean']);
    expectVector(mean0, unit([2, 2]));
    expectVector(mean1, unit([3, 1]));
    const [max0] = poolTokens(TOKENS, SHAPE, MASK, ['max']);
    expectVector(max0, unit([3, 4]));
    // Weights 1 and 2 for the two real tokens.
    const [, weighted1] = poolTokens(TOKENS, SHAPE, MASK, ['weightedmean']);
    expectVector(weighted1, unit([(0 + 2 * 6) / 3, (2 + 0) / 3]));
  });

  it('takes the first token for cls and the last real one for lasttoken, wherever the padding is', () => {
    const [cls0, cls1] = poolTokens(TOKENS, SHAPE, MASK, ['cls']);
    expectVector(cls0, unit([1, 0]));
    expectVector(cls1, unit([100, 100]));
    const [last0, last1] = poolTokens(TOKENS, SHAPE, MASK, ['lasttoken']);
    expectVector(last0, unit([3, 4]));
    expectVector(last1, unit([6, 0]));
  });

  it('puts several modes side by side, then normalises the whole', () => {
    const [both] = poolTokens(TOKENS, SHAPE, MASK, ['cls', 'mean']);
    expectVector(both, unit([1, 0, 2, 2]));
  });

  it('gives zeros, not NaN, for a row with no real token', () => {
    for (const mode of ['mean', 'max', 'weightedmean'] as const) {
      const [row] = poolTokens(new Float32Array([1, 2]), [1, 1, 2], [0], [mode]);
      expectVector(row, [0, 0]);
    }
  });
});

describe('readSentenceTransformersSetup', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-pooling-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function folder(name: string, files: Record<string, unknown>): Promise<string> {
    const path = join(root, name);
    for (const [file, contents] of Object.entries(files)) {
      await mkdir(join(path, file, '..'), { recursive: true });
      await writeFile(join(path, file), typeof contents === 'string' ? contents : JSON.stringify(contents));
    }
    await mkdir(path, { recursive: true });
    return path;
  }

  it('reads the switches of 1_Pooling, or of the folder modules.json names, in sentence-transformers order', async () => {
    const cls = await folder('cls', { '1_Pooling/config.json': { pooling_mode_cls_token: true } });
    expect(await readSentenceTransformersSetup(cls)).toEqual({ pooling: ['cls'], otherModules: [] });
    const named = await folder('named', {
      'modules.json': [
        { idx: 0, path: '', type: 'sentence_transformers.models.Transformer' },
        { idx: 1, path: 'pool', type: 'sentence_transformers.models.Pooling' },
      ],
      'pool/config.json': {
        pooling_mode_mean_tokens: true,
        pooling_mode_cls_token: true,
        pooling_mode_lasttoken: false,
      },
    });
    expect(await readSentenceTransformersSetup(named)).toEqual({ pooling: ['cls', 'mean'], otherModules: [] });
    const sqrt = await folder('sqrt', { '1_Pooling/config.json': { pooling_mode_mean_sqrt_len_tokens: true } });
    expect((await readSentenceTransformersSetup(sqrt)).pooling).toEqual(['mean']);
  });

  it('lists the modules after pooling that an encoder graph leaves out (a Dense layer)', async () => {
    const dense = await folder('dense', {
      'modules.json': [
        { idx: 0, path: '', type: 'sentence_transformers.models.Transformer' },
        { idx: 1, path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
        { idx: 2, path: '2_Dense', type: 'sentence_transformers.models.Dense' },
        { idx: 3, path: '3_Normalize', type: 'sentence_transformers.models.Normalize' },
      ],
      '1_Pooling/config.json': { pooling_mode_cls_token: true },
    });
    expect(await readSentenceTransformersSetup(dense)).toEqual({
      pooling: ['cls'],
      otherModules: ['sentence_transformers.models.Dense'],
    });
  });

  it('says nothing for a folder without pooling config, and one line for a broken one', async () => {
    expect(await readSentenceTransformersSetup(await folder('plain', { 'config.json': {} }))).toEqual({
      otherModules: [],
    });
    await expect(
      readSentenceTransformersSetup(await folder('broken', { '1_Pooling/config.json': '{nope' })),
    ).rejects.toThrow(/1_Pooling\/config.json: not valid JSON/);
    await expect(
      readSentenceTransformersSetup(
        await folder('none', { '1_Pooling/config.json': { pooling_mode_mean_tokens: false } }),
      ),
    ).rejects.toThrow(/switches on no pooling mode/);
  });
});

describe('parsePoolingModes', () => {
  it('takes a mode, a list, or modes joined with + or a comma', () => {
    expect(parsePoolingModes('cls', 'm')).toEqual(['cls']);
    expect(parsePoolingModes('cls+mean', 'm')).toEqual(['cls', 'mean']);
    expect(parsePoolingModes(['max'], 'm')).toEqual(['max']);
  });

  it('refuses anything else in one line naming the model', () => {
    expect(() => parsePoolingModes('average', 'tiny')).toThrow(
      'tiny: pooling must be one of cls, mean, max, weightedmean, lasttoken, got "average"',
    );
    expect(() => parsePoolingModes([], 'tiny')).toThrow(/tiny: pooling must be one of/);
  });
});
