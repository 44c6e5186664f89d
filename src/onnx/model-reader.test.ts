import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import { attribute, GraphBuilder } from './graph-builder.ts';
import { allGraphs, DATA_TYPE, decodeModel } from './model-reader.ts';
import { encodeEdit, joinEdit, messageEdit, messageField, writeChunks } from './model-splice.ts';
import { ProtoWriter } from './protobuf.ts';
import { readFields } from './protobuf-reader.ts';
import { floatTensor, int64Tensor, tensor } from './tensor.ts';
import { tensorBytes } from './tensor-data.ts';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), 'mmkit-onnx-read-'));
  folders.push(folder);
  return folder;
}

function sampleModel(): Uint8Array {
  const graph = new GraphBuilder('sample');
  const x = graph.input('x', 'float32', ['batch_size', 2]);
  const flag = graph.input('flag', 'bool', []);
  const weight = graph.initializer('weight', floatTensor([1, 2, 3, 4, 5, 6], [2, 3]));
  const projected = graph.node(
    'MatMul',
    [x, weight],
    ['projected'],
    {},
    { name: '/model/layers.0/mlp/up_proj/MatMul' },
  )[0];
  const thenBranch = graph.subgraph('then');
  thenBranch.node('Relu', [projected], ['then_out']);
  thenBranch.output('then_out', 'float32');
  const elseBranch = graph.subgraph('else');
  elseBranch.node('Neg', [projected], ['else_out'], {}, { name: 'negate' });
  elseBranch.output('else_out', 'float32');
  graph.node('If', [flag], ['chosen'], { then_branch: thenBranch, else_branch: elseBranch });
  graph.node('LeakyRelu', ['chosen'], ['y'], { alpha: attribute.float(0.25) });
  graph.node('Reshape', ['y', graph.constant(int64Tensor([-1]), 'flat_shape')], ['flat'], {});
  graph.valueInfo('projected', 'float32', ['batch_size', 3]);
  graph.output('flat', 'float32', ['flat_length']);
  return graph.toBytes({ extraOpsets: [{ domain: 'com.microsoft', version: 1 }] });
}

async function run(model: Uint8Array | string, feeds: Record<string, Tensor>): Promise<number[]> {
  const session = await InferenceSession.create(model as Uint8Array);
  try {
    const result = await session.run(feeds);
    return Array.from(result[session.outputNames[0]].data as Float32Array);
  } finally {
    await session.release();
  }
}

const feeds = () => ({
  x: new Tensor('float32', Float32Array.from([1, -1]), [1, 2]),
  flag: new Tensor('bool', Uint8Array.from([0]), []),
});

describe('decodeModel', () => {
  it('reads opsets, inputs, outputs, value_info, nodes with attributes and subgraphs, initializers', () => {
    const model = decodeModel(sampleModel());
    expect(model.irVersion).toBe(8);
    expect(model.producerName).toBe('mmkit');
    expect(model.opsetImports).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    const { graph } = model;
    expect(graph.name).toBe('sample');
    expect(graph.inputs).toEqual([
      { name: 'x', elementType: DATA_TYPE.float, dims: ['batch_size', 2] },
      { name: 'flag', elementType: DATA_TYPE.bool, dims: [] },
    ]);
    expect(graph.outputs).toEqual([{ name: 'flat', elementType: DATA_TYPE.float, dims: ['flat_length'] }]);
    expect(graph.valueInfo).toEqual([{ name: 'projected', elementType: DATA_TYPE.float, dims: ['batch_size', 3] }]);
    expect(graph.nodes.map((node) => [node.name, node.opType, node.inputs, node.outputs])).toEqual([
      ['/model/layers.0/mlp/up_proj/MatMul', 'MatMul', ['x', 'weight'], ['projected']],
      ['If_node', 'If', ['flag'], ['chosen']],
      ['LeakyRelu_node', 'LeakyRelu', ['chosen'], ['y']],
      ['Reshape_node', 'Reshape', ['y', 'flat_shape'], ['flat']],
    ]);
    expect(graph.nodes[2].attributes).toEqual([{ name: 'alpha', kind: 'float', value: 0.25 }]);
    const names = [...allGraphs(graph)].map((each) => [each.name, each.nodes.map((node) => node.opType)]);
    expect(names).toEqual([
      ['sample', ['MatMul', 'If', 'LeakyRelu', 'Reshape']],
      ['then', ['Relu']],
      ['else', ['Neg']],
    ]);
    const [weight, shape] = graph.initializers.map((entry) => entry.tensor);
    expect([weight.name, weight.dataType, weight.dims]).toEqual(['weight', DATA_TYPE.float, [2, 3]]);
    expect([...new Float32Array(tensorBytes(weight, '.').slice().buffer)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([shape.name, shape.dataType, shape.dims]).toEqual(['flat_shape', DATA_TYPE.int64, [1]]);
  });

  it('reads float_data, int64_data and external data references', () => {
    // A TensorProto laid out by hand: dims, data_type, float_data (packed), name.
    const floats = new ProtoWriter().packedInts(1, [2]).int(2, 1).packedFloats(4, [1.5, -2]).string(8, 'packed');
    const external = new ProtoWriter()
      .packedInts(1, [2])
      .int(2, 1)
      .string(8, 'outside')
      .message(13, new ProtoWriter().string(1, 'location').string(2, 'weights.bin'))
      .message(13, new ProtoWriter().string(1, 'offset').string(2, '4'))
      .message(13, new ProtoWriter().string(1, 'length').string(2, '8'))
      .int(14, 1);
    const graph = new ProtoWriter().string(2, 'g').message(5, floats).message(5, external);
    const bytes = new ProtoWriter().int(1, 8).message(7, graph).finish();
    const folder = scratch();
    writeFileSync(join(folder, 'weights.bin'), Buffer.from(new Float32Array([9, 3, -4, 9]).buffer));
    const [packed, outside] = decodeModel(bytes).graph.initializers.map((entry) => entry.tensor);
    expect(packed.floatData).toEqual([1.5, -2]);
    expect([...new Float32Array(tensorBytes(packed, folder).buffer)]).toEqual([1.5, -2]);
    expect(outside.external).toEqual({ location: 'weights.bin', offset: 4, length: 8 });
    expect([...new Float32Array(tensorBytes(outside, folder).slice().buffer)]).toEqual([3, -4]);
    outside.external = { location: '../escape.bin', offset: 0, length: 8 };
    expect(() => tensorBytes(outside, folder)).toThrow(/leaves the model folder/);
  });
});

describe('model splicing', () => {
  it('re-encodes an unedited model byte for byte', () => {
    const bytes = sampleModel();
    const model = decodeModel(bytes);
    const edit = messageEdit(bytes, model.fields);
    edit.replace.set(model.graphField, messageEdit(bytes, model.graph.fields));
    expect(Buffer.from(joinEdit(edit)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('renames a node inside a subgraph, moves a weight to external data, keeps unknown fields, and still runs', async () => {
    // An unknown field (number 99) in ModelProto must survive the edit.
    const original = sampleModel();
    const unknown = new ProtoWriter().string(99, 'kept as is').finish();
    const bytes = new Uint8Array([...original, ...unknown]);
    const model = decodeModel(bytes);
    const before = await run(bytes, feeds());

    const root = messageEdit(bytes, model.fields);
    const graphEdit = messageEdit(bytes, model.graph.fields);
    root.replace.set(model.graphField, graphEdit);
    // The If node's else branch: rename its Neg node.
    const ifNode = model.graph.nodes[1];
    const elseIndex = ifNode.attributes.findIndex((entry) => entry.name === 'else_branch');
    const elseGraph = ifNode.attributes[elseIndex];
    if (elseGraph.kind !== 'graph') throw new Error('expected a graph');
    const nodeEdit = messageEdit(bytes, ifNode.fields);
    graphEdit.replace.set(ifNode.field, nodeEdit);
    const attributeField = ifNode.attributeFields[elseIndex];
    const attributeEdit = messageEdit(bytes, readFields(bytes, attributeField.valueStart, attributeField.valueEnd));
    nodeEdit.replace.set(attributeField, attributeEdit);
    const graphValueField = attributeEdit.fields.find((field) => field.field === 6);
    const subgraphEdit = messageEdit(bytes, elseGraph.value.fields);
    attributeEdit.replace.set(graphValueField!, subgraphEdit);
    const negate = elseGraph.value.nodes[0];
    const negateEdit = messageEdit(bytes, negate.fields);
    negateEdit.replace.set(negate.fields.find((field) => field.field === 3)!, [
      new ProtoWriter().string(3, 'renamed').finish(),
    ]);
    subgraphEdit.replace.set(negate.field, negateEdit);
    // The weight: drop raw_data, point at weight.bin instead.
    const weight = model.graph.initializers[0];
    const weightEdit = messageEdit(bytes, weight.tensor.fields);
    weightEdit.replace.set(weight.tensor.fields.find((field) => field.field === 9)!, []);
    weightEdit.append.push(
      messageField(13, new ProtoWriter().string(1, 'location').string(2, 'weight.bin')),
      new ProtoWriter().int(14, 1).finish(),
    );
    graphEdit.replace.set(weight.field, weightEdit);

    const folder = scratch();
    writeFileSync(join(folder, 'weight.bin'), Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer));
    const path = join(folder, 'model.onnx');
    writeChunks(path, encodeEdit(root).chunks);

    const after = decodeModel(new Uint8Array(readFileSync(path)));
    const renamed = [...allGraphs(after.graph)].flatMap((graph) => graph.nodes.map((node) => node.name));
    expect(renamed).toContain('renamed');
    expect(renamed).not.toContain('negate');
    expect(after.graph.initializers[0].tensor.external).toEqual({
      location: 'weight.bin',
      offset: 0,
      length: undefined,
    });
    const tail = after.fields[after.fields.length - 1];
    expect(tail.field).toBe(99);
    expect(await run(path, feeds())).toEqual(before);
    // x·W = [-3, -3, -3]; the else branch negates it.
    expect(before).toEqual([3, 3, 3]);
  });
});

describe('tensor helper sanity', () => {
  it('keeps float16 initializers as raw bits', () => {
    const graph = new GraphBuilder('half');
    graph.initializer('h', tensor('float16', Uint16Array.from([0x3c00, 0xc000]), [2]));
    graph.node('Identity', ['h'], ['out']);
    graph.output('out', 'float16', [2]);
    const decoded = decodeModel(graph.toBytes()).graph.initializers[0].tensor;
    expect(decoded.dataType).toBe(DATA_TYPE.float16);
    expect([...new Uint16Array(tensorBytes(decoded, '.').slice().buffer)]).toEqual([0x3c00, 0xc000]);
  });
});
