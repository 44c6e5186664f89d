import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../onnx/graph-builder.ts';
import { maskedCrossEntropy } from './masked-cross-entropy.ts';
import { describeGradientChecks } from './test-support/describe-cases.ts';

describeGradientChecks('loss');

async function lossOf(logits: number[], dims: number[], labels: number[]): Promise<number> {
  const graph = new GraphBuilder('loss');
  const logitsName = graph.input('logits', 'float32', dims);
  const labelsName = graph.input('labels', 'int64', dims.slice(0, -1));
  graph.node('Identity', [maskedCrossEntropy(graph, logitsName, labelsName, { type: 'float32' }).loss], ['loss']);
  graph.output('loss', 'float32');
  const session = await InferenceSession.create(graph.toBytes());
  const result = await session.run({
    logits: new Tensor('float32', Float32Array.from(logits), dims),
    labels: new Tensor('int64', BigInt64Array.from(labels.map(BigInt)), dims.slice(0, -1)),
  });
  await session.release();
  return (result.loss.data as Float32Array)[0];
}

describe('maskedCrossEntropy', () => {
  it('averages −log p(label) over the positions that are not −100', async () => {
    // Row 0: uniform over 2 classes → ln 2. Row 1 ignored. Row 2: p(label 1) = e/(1+e).
    const loss = await lossOf([0, 0, 5, -5, 0, 1], [1, 3, 2], [0, -100, 1]);
    const expected = (Math.log(2) + Math.log(1 + Math.E) - 1) / 2;
    expect(loss).toBeCloseTo(expected, 6);
  });

  it('is 0, not NaN, when every label is ignored', async () => {
    expect(await lossOf([1, 2, 3, 4], [2, 2], [-100, -100])).toBe(0);
  });
});
