/**
 * Applies a LoRA adapter to an exported ONNX decoder and writes the patched model:
 *
 * - **merge** where a projection is a plain `MatMul` over an fp32/fp16 weight initializer:
 *   `W' = W + scale·(B·A)ᵀ`, the same graph, no extra cost per token;
 * - a **side path** anywhere else (MatMulNBits, DynamicQuantizeLinear→MatMulInteger, a
 *   DequantizeLinear feeding the MatMul): `y' = y + (x·Aᵀ)·(scale·Bᵀ)` as three new nodes beside
 *   the projection, so quantized weights are used as they are.
 *
 * The patched `.onnx` is spliced from the original (see `model-splice.ts`): merged weights go to one
 * new external data file beside it, weights the original keeps in external files stay there (the
 * caller makes them reachable), and large inline weights can be referenced in the original file
 * instead of copied. A multi-gigabyte export is thus read, never rewritten.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MmkitError } from '../../errors.ts';
import { nodeMessage, tensorMessage } from '../../onnx/model-proto.ts';
import { DATA_TYPE, type DecodedNode, decodeModel, type InitializerEntry } from '../../onnx/model-reader.ts';
import { encodeEdit, messageField, writeChunks } from '../../onnx/model-splice.ts';
import { ProtoWriter } from '../../onnx/protobuf.ts';
import { fieldString } from '../../onnx/protobuf-reader.ts';
import { tensor } from '../../onnx/tensor.ts';
import { tensorBytes } from '../../onnx/tensor-data.ts';
import { float16ToFloat32, float32ToFloat16 } from '../providers/onnx/diffusion/float16.ts';
import { GraphIndex, type GraphScope, type GraphIndex as Index } from './graph-index.ts';
import { mergeIntoTransposedWeight, scaledTransposedB, transposedA } from './lora-math.ts';
import { type LoraModule, loraScale, type PeftAdapter } from './peft-adapter.ts';
import { projectionOfModule, projectionOfNode } from './projection-names.ts';

export type AdapterMode = 'auto' | 'merge' | 'side-path';

export interface ApplyAdapterOptions {
  /** `auto` (default): merge into float weights, side path for the rest. */
  mode?: AdapterMode;
  /** File name, beside the output, of the merged weights (default `<output name>_lora_data`). */
  mergedDataName?: string;
  /**
   * Refer to the source file's inline weights (≥ 1 KiB) under this name instead of copying them;
   * the caller links that name, beside the output, to the source file.
   */
  inlineWeightsLocation?: string;
  onWarning?: (message: string) => void;
}

export interface AdapterApplication {
  /** Projections, by their nodes' shared path (`/model/layers.0/self_attn/q_proj`), merged or given a side path. */
  merged: string[];
  sidePaths: string[];
  /** Adapter modules this decoder does not have (a vision tower's, say). */
  skippedModules: string[];
  /** External data files, relative to the output's folder, the output reads but did not write. */
  referencedFiles: string[];
  /** The merged-weights file written beside the output, if any weight was merged. */
  mergedDataFile: string | undefined;
}

interface ProjectionGroup {
  scope: GraphScope;
  /** `/model/layers.0/self_attn/q_proj/`, the nodes' shared name prefix. */
  path: string;
  label: string;
  key: string;
  nodes: DecodedNode[];
}

const INLINE_REFERENCE_MIN_BYTES = 1024;
const DATA_FIELDS = new Set([4, 5, 6, 7, 9, 10, 11, 13, 14]);

function mismatch(message: string): MmkitError {
  return new MmkitError(message, { code: 'adapter_mismatch', param: 'adapter' });
}

function projectionGroups(index: Index): ProjectionGroup[] {
  const groups = new Map<string, ProjectionGroup>();
  index.scopes.forEach((scope, scopeNumber) => {
    for (const node of scope.graph.nodes) {
      const projection = projectionOfNode(node.name);
      if (!projection) continue;
      const path = node.name.slice(0, node.name.indexOf('_proj/') + '_proj/'.length);
      const id = `${scopeNumber}\u0000${path}`;
      const group = groups.get(id) ?? { scope, path, label: path.slice(0, -1), key: projection.key, nodes: [] };
      group.nodes.push(node);
      groups.set(id, group);
    }
  });
  return [...groups.values()];
}

function modulesByKey(adapter: PeftAdapter): { byKey: Map<string, LoraModule>; notDecoder: string[] } {
  const byKey = new Map<string, LoraModule>();
  const notDecoder: string[] = [];
  for (const module of adapter.modules) {
    const projection = projectionOfModule(module.name);
    if (!projection || byKey.has(projection.key)) notDecoder.push(module.name);
    else byKey.set(projection.key, module);
  }
  return { byKey, notDecoder };
}

export function applyAdapter(
  sourcePath: string,
  adapter: PeftAdapter,
  outputPath: string,
  options: ApplyAdapterOptions = {},
): AdapterApplication {
  const mode = options.mode ?? 'auto';
  const bytes = new Uint8Array(readFileSync(sourcePath));
  const index = new GraphIndex(decodeModel(bytes));
  const sourceFolder = dirname(sourcePath);
  const { byKey, notDecoder } = modulesByKey(adapter);
  const used = new Set<LoraModule>();
  const merges = new Map<
    string,
    { entry: InitializerEntry; scope: GraphScope; module: LoraModule; labels: string[] }
  >();
  const result: AdapterApplication = {
    merged: [],
    sidePaths: [],
    skippedModules: [],
    referencedFiles: [],
    mergedDataFile: undefined,
  };
  for (const group of projectionGroups(index)) {
    const module = byKey.get(group.key);
    if (!module) continue;
    used.add(module);
    const target = mode === 'side-path' ? undefined : mergeTarget(index, group, module);
    if (target) {
      const known = merges.get(target.entry.tensor.name);
      if (known && known.module !== module) {
        throw mismatch(
          `${sourcePath}: weight ${target.entry.tensor.name} is shared by ${known.labels[0]} and ${group.label}`,
        );
      }
      const merge = known ?? { ...target, module, labels: [] };
      merge.labels.push(group.label);
      merges.set(target.entry.tensor.name, merge);
      result.merged.push(group.label);
    } else if (mode === 'merge') {
      throw mismatch(
        `${sourcePath}: ${group.label} is not a MatMul over a float weight, so the adapter cannot be merged into it`,
      );
    } else {
      addSidePath(index, group, module, loraScale(module, adapter.config.useRslora));
      result.sidePaths.push(group.label);
    }
  }
  result.skippedModules = [
    ...notDecoder,
    ...adapter.modules
      .filter((module) => !used.has(module) && !notDecoder.includes(module.name))
      .map((module) => module.name),
  ];
  if (used.size === 0) {
    throw mismatch(
      `none of the adapter's ${adapter.modules.length} modules (e.g. ${adapter.modules[0]?.name}) match a projection of ${sourcePath}; its nodes must be named like /model/layers.0/self_attn/q_proj/MatMul`,
    );
  }
  if (result.skippedModules.length > 0) {
    options.onWarning?.(`adapter modules not in ${sourcePath}, skipped: ${result.skippedModules.join(', ')}`);
  }
  if (merges.size > 0) {
    const name = options.mergedDataName ?? `${outputPath.split(/[\\/]/).pop()}_lora_data`;
    result.mergedDataFile = join(dirname(outputPath), name);
    writeMerges(index, [...merges.values()], sourceFolder, result.mergedDataFile, name, adapter.config.useRslora);
  }
  const referenced = new Set<string>();
  for (const scope of index.scopes) {
    for (const entry of scope.graph.initializers) {
      if (merges.has(entry.tensor.name) && index.initializer(scope, entry.tensor.name)?.entry === entry) continue;
      if (entry.tensor.external) referenced.add(entry.tensor.external.location);
      else if (options.inlineWeightsLocation && (entry.tensor.rawData?.length ?? 0) >= INLINE_REFERENCE_MIN_BYTES) {
        referToSource(index, scope, entry, options.inlineWeightsLocation);
        referenced.add(options.inlineWeightsLocation);
      }
    }
  }
  result.referencedFiles = [...referenced];
  writeChunks(outputPath, encodeEdit(index.root).chunks);
  return result;
}

/** The weight to merge into: the group's MatMul reads a float initializer [in, out] used by this projection only. */
function mergeTarget(index: Index, group: ProjectionGroup, module: LoraModule) {
  const matmul = group.nodes.find((node) => node.opType === 'MatMul' && node.domain === '');
  if (!matmul || matmul.inputs.length < 2) return undefined;
  const found = index.initializer(group.scope, matmul.inputs[1]);
  if (!found) return undefined;
  const { dataType, dims } = found.entry.tensor;
  if (dataType !== DATA_TYPE.float && dataType !== DATA_TYPE.float16) return undefined;
  if (dims.length !== 2 || dims[0] !== module.inFeatures || dims[1] !== module.outFeatures) {
    throw mismatch(
      `adapter module ${module.name} is ${module.outFeatures}×${module.inFeatures} but ${group.label}'s weight ${found.entry.tensor.name} is [${dims.join(', ')}] (stored [in, out]); the adapter was trained for another model`,
    );
  }
  const sameProjection = index
    .consumersOf(found.entry.tensor.name)
    .every(({ node }) => node.opType === 'MatMul' && projectionOfNode(node.name)?.key === group.key);
  return sameProjection ? found : undefined;
}

function writeMerges(
  index: Index,
  merges: { entry: InitializerEntry; scope: GraphScope; module: LoraModule }[],
  sourceFolder: string,
  dataPath: string,
  dataName: string,
  useRslora: boolean,
): void {
  const descriptor = openSync(dataPath, 'w');
  let offset = 0;
  try {
    for (const { entry, scope, module } of merges) {
      const { tensor: weight } = entry;
      const raw = tensorBytes(weight, sourceFolder);
      const half = weight.dataType === DATA_TYPE.float16;
      const aligned = raw.slice();
      const values = half
        ? float16ToFloat32(new Uint16Array(aligned.buffer, 0, aligned.length / 2))
        : new Float32Array(aligned.buffer, 0, aligned.length / 4);
      mergeIntoTransposedWeight(values, module, loraScale(module, useRslora));
      const out = half
        ? new Uint8Array(float32ToFloat16(values).buffer)
        : new Uint8Array(values.buffer, 0, values.byteLength);
      let written = 0;
      while (written < out.length)
        written += writeSync(descriptor, out, written, out.length - written, offset + written);
      replaceData(index, scope, entry, dataName, offset, out.length);
      offset += out.length;
    }
  } finally {
    closeSync(descriptor);
  }
}

function externalReference(location: string, offset: number, length: number): Uint8Array[] {
  const entry = (key: string, value: string) => messageField(13, new ProtoWriter().string(1, key).string(2, value));
  return [
    entry('location', location),
    entry('offset', String(offset)),
    entry('length', String(length)),
    new ProtoWriter().int(14, 1).finish(),
  ];
}

/** Drops the initializer's data fields and points it at `location` instead. */
function replaceData(
  index: Index,
  scope: GraphScope,
  entry: InitializerEntry,
  location: string,
  offset: number,
  length: number,
): void {
  const edit = index.graphEdit(scope);
  const bytes = index.model.bytes;
  const tensorEdit = {
    bytes,
    fields: entry.tensor.fields,
    replace: new Map(),
    insertAfter: new Map(),
    append: externalReference(location, offset, length),
  };
  for (const field of entry.tensor.fields) if (DATA_FIELDS.has(field.field)) tensorEdit.replace.set(field, []);
  edit.replace.set(entry.field, tensorEdit);
}

function referToSource(index: Index, scope: GraphScope, entry: InitializerEntry, location: string): void {
  const raw = entry.tensor.fields.find((field) => field.field === 9);
  if (!raw) return;
  replaceData(index, scope, entry, location, raw.valueStart, raw.valueEnd - raw.valueStart);
}

/** The float input x and output y of a projection's node group, and the node producing y. */
function groupEnds(index: Index, group: ProjectionGroup) {
  const inGroup = new Set(group.nodes);
  const produced = new Map(group.nodes.flatMap((node) => node.outputs.map((output) => [output, node] as const)));
  const outputs = group.nodes.flatMap((node) =>
    node.outputs.filter(
      (output) =>
        output !== '' &&
        (group.scope.outputNames.has(output) ||
          index.consumersOf(output).some(({ node: consumer }) => !inGroup.has(consumer))),
    ),
  );
  const input = group.nodes
    .map((node) => node.inputs[0])
    .find((name) => name !== undefined && name !== '' && !produced.has(name) && !index.initializer(group.scope, name));
  if (outputs.length !== 1 || input === undefined) {
    throw mismatch(
      `${group.label}: cannot find the projection's one input and one output among nodes ${group.nodes.map((node) => node.name).join(', ')}`,
    );
  }
  return { input, output: outputs[0], producer: produced.get(outputs[0]) as DecodedNode };
}

/** The element type the side path computes in: x's declared type, else the quantized weight's scales. */
function sidePathType(index: Index, group: ProjectionGroup, input: string): 'float32' | 'float16' {
  let dataType = index.valueInfo(input)?.elementType;
  if (dataType === undefined) {
    for (const node of group.nodes) {
      const scales =
        node.opType === 'MatMulNBits'
          ? node.inputs[2]
          : node.opType === 'DequantizeLinear'
            ? node.inputs[1]
            : undefined;
      const found = scales ? index.initializer(group.scope, scales) : undefined;
      if (found) dataType = found.entry.tensor.dataType;
    }
  }
  if (dataType === DATA_TYPE.float16) return 'float16';
  if (dataType === undefined || dataType === DATA_TYPE.float) return 'float32';
  throw mismatch(`${group.label}: its input is of ONNX type ${dataType}; a LoRA side path needs float32 or float16`);
}

function addSidePath(index: Index, group: ProjectionGroup, module: LoraModule, scale: number): void {
  const { input, output, producer } = groupEnds(index, group);
  for (const node of group.nodes.filter((each) => each.opType === 'MatMulNBits')) {
    const declared = (name: string) => {
      const found = node.attributes.find((attribute) => attribute.name === name);
      return found?.kind === 'int' ? found.value : undefined;
    };
    if (declared('K') !== module.inFeatures || declared('N') !== module.outFeatures) {
      throw mismatch(
        `adapter module ${module.name} is ${module.outFeatures}×${module.inFeatures} but ${node.name} has N = ${declared('N')}, K = ${declared('K')}; the adapter was trained for another model`,
      );
    }
  }
  const type = sidePathType(index, group, input);
  const asType = (values: Float32Array, dims: number[]) =>
    type === 'float16' ? tensor('float16', float32ToFloat16(values), dims) : tensor('float32', values, dims);
  const names = {
    a: `${group.path}lora_A.weight_transposed`,
    b: `${group.path}lora_B.weight_transposed_scaled`,
    down: `${group.path}lora_A/output_0`,
    up: `${group.path}lora_B/output_0`,
    base: `${output}/before_lora`,
  };
  const graphEdit = index.graphEdit(group.scope);
  graphEdit.append.push(
    messageField(5, tensorMessage(asType(transposedA(module), [module.inFeatures, module.rank]), names.a)),
    messageField(
      5,
      tensorMessage(asType(scaledTransposedB(module, scale), [module.rank, module.outFeatures]), names.b),
    ),
  );
  // The projection's output is renamed; the new Add gives its consumers the old name.
  const producerEdit = index.nodeEdit(group.scope, producer);
  for (const field of producer.fields) {
    if (field.field === 2 && fieldString(index.model.bytes, field) === output) {
      producerEdit.replace.set(field, [new ProtoWriter().string(2, names.base).finish()]);
    }
  }
  const node = (name: string, opType: string, inputs: string[], outputs: string[]) =>
    messageField(1, nodeMessage({ name, opType, inputs, outputs, attributes: [] }));
  graphEdit.insertAfter.set(producer.field, [
    node(`${group.path}lora_A/MatMul`, 'MatMul', [input, names.a], [names.down]),
    node(`${group.path}lora_B/MatMul`, 'MatMul', [names.down, names.b], [names.up]),
    node(`${group.path}lora/Add`, 'Add', [names.base, names.up], [output]),
  ]);
}
