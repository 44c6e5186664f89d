/**
 * Adapters on the exporter's own naming: the testkit `llama` (mmkit's ONNX export, Optimum's node
 * names) with a PEFT adapter on `model.layers.{i}.self_attn.{q,v}_proj`, through the real CLI, in
 * both application modes, against greedy decoding of the merged weights by the training graph.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env as transformersEnv } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteTokenIds } from '../../../testkit/byte-tokenizer.ts';
import { llamaFiles, TINY_LLAMA_CONFIG, tinyLlamaWeights } from '../../../testkit/llama.ts';
import { LLM_SPECIAL_TOKENS } from '../../../testkit/llm.ts';
import { writeModelFiles } from '../../../testkit/model-files.ts';
import { referenceGreedy } from '../../../testkit/reference-decode.ts';
import type { WeightSource } from '../../finetune/model/weight-source.ts';
import { uniformFloat32 } from '../../finetune/random.ts';
import { type LoraModule, type PeftAdapter, writePeftAdapter } from '../../models/adapters/peft-adapter.ts';
import { runCli } from '../test-support/run-cli.ts';

const RANK = 4;
const ALPHA = 8;
const config = TINY_LLAMA_CONFIG;

function loraModules(): LoraModule[] {
  const modules: LoraModule[] = [];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    for (const projection of ['q', 'v'] as const) {
      const name = `model.layers.${layer}.self_attn.${projection}_proj`;
      const outFeatures = (projection === 'q' ? config.numAttentionHeads : config.numKeyValueHeads) * config.headDim;
      modules.push({
        name,
        rank: RANK,
        alpha: ALPHA,
        inFeatures: config.hiddenSize,
        outFeatures,
        loraA: uniformFloat32(7, `${name}.A`, RANK * config.hiddenSize, 0.5),
        loraB: uniformFloat32(7, `${name}.B`, outFeatures * RANK, 0.5),
      });
    }
  }
  return modules;
}

/** The base weights with `scale · B·A` added to each adapted projection: base + adapter, computed here. */
function mergedWeights(modules: readonly LoraModule[]): WeightSource {
  const base = tinyLlamaWeights();
  const byWeight = new Map(modules.map((module) => [`${module.name}.weight`, module]));
  return (name, dims) => {
    const values = Float32Array.from(base(name, dims));
    const module = byWeight.get(name);
    if (!module) return values;
    const scale = module.alpha / module.rank;
    for (let row = 0; row < module.outFeatures; row++) {
      for (let column = 0; column < module.inFeatures; column++) {
        let sum = 0;
        for (let r = 0; r < module.rank; r++) {
          sum += module.loraB[row * module.rank + r] * module.loraA[r * module.inFeatures + column];
        }
        values[row * module.inFeatures + column] += scale * sum;
      }
    }
    return values;
  };
}

describe('mmkit chat --adapter on the testkit llama (exporter naming)', () => {
  let root: string;
  let model: string;
  let adapterDir: string;
  let adapter: PeftAdapter;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-llama-adapter-'));
    model = join(root, 'llama');
    adapterDir = join(root, 'adapter');
    env = { MMKIT_HOME: join(root, 'home'), MMKIT_OFFLINE: '1' };
    await writeModelFiles(model, llamaFiles());
    adapter = {
      config: {
        rank: RANK,
        alpha: ALPHA,
        dropout: 0,
        targetModules: ['q_proj', 'v_proj'],
        baseModel: model,
        taskType: 'CAUSAL_LM',
        useRslora: false,
        rankPattern: {},
        alphaPattern: {},
        extra: {},
      },
      modules: loraModules(),
    };
    writePeftAdapter(adapterDir, adapter);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const chat = async (extra: string[]) => {
    const result = await runCli(
      ['chat', 'hi', '--system', '', '--temperature', '0', '--max-new-tokens', '10', '--json', ...extra],
      { env },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout).text as string;
  };

  it('answers as base + adapter computed independently, merged and on the side path alike, and unlike the base', async () => {
    const { user, assistant, end } = LLM_SPECIAL_TOKENS;
    const prompt = [user.id, 10, ...byteTokenIds('hi'), end.id, 10, assistant.id, 10];
    const expected = await referenceGreedy(config, mergedWeights(adapter.modules), prompt, 10, end.id);
    transformersEnv.allowRemoteModels = false;
    const tokenizer = await AutoTokenizer.from_pretrained(model, { local_files_only: true });
    const expectedText = tokenizer.decode(
      expected.filter((token) => token !== end.id),
      { skip_special_tokens: true },
    );

    const base = await chat(['--model', model]);
    const tuned = await chat(['--model', model, '--adapter', adapterDir]);
    expect(tuned).toBe(expectedText);
    expect(tuned).not.toBe(base);

    const configFile = join(root, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        adapters: {
          merged: { base: model, path: adapterDir, mode: 'merge' },
          side: { base: model, path: adapterDir, mode: 'side-path' },
        },
      }),
    );
    expect(await chat(['--model', 'merged', '--config', configFile])).toBe(expectedText);
    expect(await chat(['--model', 'side', '--config', configFile])).toBe(expectedText);
  }, 30_000);
});
