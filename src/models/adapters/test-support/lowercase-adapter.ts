/**
 * An end-to-end fixture until the testkit has a Llama with Optimum's node names: the testkit's echo
 * `llm` with its projection nodes renamed the way exports name them
 * (`/model/layers.1/self_attn/o_proj/MatMul`), and a one-rank PEFT adapter that makes it answer in
 * lower case.
 *
 * Why the adapter lowercases: layer 1's o_proj writes the copied token's id bits (±1) into the
 * slots the LM head reads. The adapter adds −2·bit8 to bit 5: ordinary bytes (bit 8 = −1) get bit 5
 * pushed on (ASCII upper → lower case, other bytes unchanged where bit 5 is already set), special
 * tokens (bit 8 = +1) get it pushed off, which they have off anyway, so `<|end|>` still ends the answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTinyModel } from '../../../../testkit/build.ts';
import { decodeModel } from '../../../onnx/model-reader.ts';
import { joinEdit, messageEdit } from '../../../onnx/model-splice.ts';
import { ProtoWriter } from '../../../onnx/protobuf.ts';
import { writePeftAdapter } from '../peft-adapter.ts';

const WEIGHT_NAME = /^layers\.(\d+)\.self_attn\.(q|k|v|o)_proj\.weight$/;

/** Renames every MatMul over `layers.{i}.self_attn.{x}_proj.weight` to Optimum's node name. */
export function nameProjectionNodes(modelPath: string): number {
  const bytes = new Uint8Array(readFileSync(modelPath));
  const model = decodeModel(bytes);
  const root = messageEdit(bytes, model.fields);
  const graph = messageEdit(bytes, model.graph.fields);
  root.replace.set(model.graphField, graph);
  let renamed = 0;
  for (const node of model.graph.nodes) {
    const match = node.opType === 'MatMul' ? WEIGHT_NAME.exec(node.inputs[1] ?? '') : null;
    if (!match) continue;
    const nameField = node.fields.find((field) => field.field === 3);
    if (!nameField) continue;
    const edit = messageEdit(bytes, node.fields);
    edit.replace.set(nameField, [
      new ProtoWriter().string(3, `/model/layers.${match[1]}/self_attn/${match[2]}_proj/MatMul`).finish(),
    ]);
    graph.replace.set(node.field, edit);
    renamed++;
  }
  writeFileSync(modelPath, joinEdit(root));
  return renamed;
}

/** The testkit echo `llm` in `folder`, its projection nodes named as exports name them. */
export async function buildNamedEchoModel(folder: string): Promise<void> {
  await buildTinyModel('llm', folder);
  const renamed = nameProjectionNodes(join(folder, 'onnx', 'model.onnx'));
  if (renamed !== 8) throw new Error(`expected 8 projections in the tiny llm, renamed ${renamed}`);
}

const HIDDEN = 32;
const COPIED_BITS_SLOT = 16;

/** The PEFT adapter that lowercases the echo model's answers. */
export function writeLowercaseAdapter(folder: string): void {
  const alpha = 16;
  const loraA = new Float32Array(HIDDEN);
  loraA[8] = 1; // head 0's copied bit 8
  const loraB = new Float32Array(HIDDEN);
  loraB[COPIED_BITS_SLOT + 5] = -2 / alpha; // scale = alpha / r = 16
  writePeftAdapter(folder, {
    config: {
      rank: 1,
      alpha,
      dropout: 0,
      targetModules: ['o_proj'],
      baseModel: 'mmkit-testkit/llm',
      taskType: 'CAUSAL_LM',
      useRslora: false,
      rankPattern: {},
      alphaPattern: {},
      extra: {},
    },
    modules: [
      {
        name: 'model.layers.1.self_attn.o_proj',
        rank: 1,
        alpha,
        inFeatures: HIDDEN,
        outFeatures: HIDDEN,
        loraA,
        loraB,
      },
    ],
  });
}
