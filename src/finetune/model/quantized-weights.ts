/**
 * QLoRA's frozen weights inside the training graph: each frozen matrix is stored as packed 4-bit
 * codes (uint8) and float scales, and dequantized by graph nodes on every run (Cast → Gather on a
 * [256, 2] byte table → Mul by the block scales), so the session keeps 4.5 bits per weight and only
 * one dequantized matrix at a time. Two things would undo that, and are handled here:
 * - the backward pass needs each weight again (dX = dY·Wᵀ): a MatMul rule re-emits the
 *   dequantization there (rematerialization) instead of keeping every forward copy alive;
 * - ONNX Runtime would fold the (constant) dequantization into float initializers at session
 *   creation (QUANTIZED_SESSION_OPTIONS bounds constant folding to small outputs), and run the
 *   recomputation early or merge it with the forward copy (it waits for its gradient, see rules()).
 * Large matrices (MLP projections, the LM head) are split into chunks of at most CHUNK_ELEMENTS (by
 * output columns, concatenated; or by input features, summed), so that the transient float copy
 * stays small too.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { type TensorValue, tensor } from '../../onnx/tensor.ts';
import { type AttributeValue, type BackwardContext, type OperatorRule, onlyGradient } from '../graph/operator-rule.ts';
import { matrixProductRules } from '../graph/rules/matrix-product.ts';
import { DEFAULT_BLOCK_SIZE, pairTable, type QuantizationFormat, quantizeMatrix } from './block-quantization.ts';
import type { DecoderConfig } from './decoder-config.ts';
import type { FloatType } from './graph-context.ts';

export interface FrozenQuantization {
  format: QuantizationFormat;
  /** Values per scale along the input features (default 64, QLoRA's). */
  blockSize?: number;
  /**
   * Also store the token embeddings and the LM head in 4 bits (default true). QLoRA's reference
   * keeps them in 16 bits, but with a 150k vocabulary they are a third of a 0.5B model.
   */
  embeddings?: boolean;
  /** Largest dequantized chunk of one matrix, in elements (default CHUNK_ELEMENTS). */
  chunkElements?: number;
}

/**
 * Session options a graph with quantized frozen weights must run with: constant folding only for
 * outputs up to 1 KiB (shapes, tables), never for a dequantized matrix, and quiet about the skipped ones. (ONNX Runtime 1.30's
 * `optimization.disable_specified_optimizers` has no effect from onnxruntime-node: measured.)
 */
export const QUANTIZED_SESSION_OPTIONS: InferenceSession.SessionOptions = {
  extra: { optimization: { constant_folding_max_output_size_in_bytes: '1024' } },
  // ONNX Runtime warns about every fold it skips.
  logSeverityLevel: 3,
  // The memory pattern adds a second, unshared block for the step's tensors: 509 instead of
  // 314 MiB peak on the 2-layer Qwen2-0.5B-shaped bench model (measured).
  enableMemPattern: false,
};

/** Largest dequantized chunk of one matrix, in elements (4 MiB in float32; 16 MiB peaked 35 MiB higher). */
export const CHUNK_ELEMENTS = 1 << 20;

/** Output columns offset…offset+width of a chunked product, made by `value`. */
export interface ColumnChunk {
  value: string;
  offset: number;
  width: number;
}

type Emit = (
  opType: string,
  inputs: readonly string[],
  attributes?: Readonly<Record<string, AttributeValue>>,
) => string;

const INT32 = 6;

/** [in, columns]: the transposed rows start…start+columns of W given as [out, in]. */
function transposedRows(values: ArrayLike<number>, inFeatures: number, start: number, columns: number): Float32Array {
  const slice = new Float32Array(inFeatures * columns);
  for (let column = 0; column < columns; column++) {
    const row = (start + column) * inFeatures;
    for (let feature = 0; feature < inFeatures; feature++) slice[feature * columns + column] = values[row + feature];
  }
  return slice;
}

/**
 * The block size for a decoder: QLoRA's 64, or the largest even size below it that divides every
 * blocked length (hidden size, attention width, MLP width), so small models quantize too.
 */
export function blockSizeFor(config: DecoderConfig, preferred = DEFAULT_BLOCK_SIZE): number {
  const lengths = [config.hiddenSize, config.numAttentionHeads * config.headDim, config.intermediateSize];
  for (let size = preferred - (preferred % 2); size >= 2; size -= 2) {
    if (lengths.every((length) => length % size === 0)) return size;
  }
  return preferred;
}

export class QuantizedWeights {
  /** Dequantized value → how to emit it again (for the backward pass). */
  /** Dequantized value → its codes and how to dequantize them again (for the backward pass). */
  private readonly recipes = new Map<string, { codes: string; dequantize: (emit: Emit, codes: string) => string }>();
  private table: string | undefined;
  private readonly columnChunks = new Map<string, ColumnChunk[]>();
  private readonly tables = new Map<string, { codes: string; scales: string }>();
  private readonly blockSize: number;

  constructor(
    private readonly graph: GraphBuilder,
    private readonly type: FloatType,
    readonly quantization: FrozenQuantization,
  ) {
    this.blockSize = quantization.blockSize ?? DEFAULT_BLOCK_SIZE;
  }

  get quantizesEmbeddings(): boolean {
    return this.quantization.embeddings ?? true;
  }

  /**
   * input·Wᵀ for a frozen W given in Hugging Face layout [out, in] (`values`), quantized in blocks
   * along the input features (the blocks bitsandbytes makes on that layout).
   */
  matMul(input: string, name: string, values: ArrayLike<number>, outFeatures: number, inFeatures: number): string {
    const limit = this.quantization.chunkElements ?? CHUNK_ELEMENTS;
    if (inFeatures > outFeatures && inFeatures * outFeatures > limit) {
      return this.matMulByInputChunks(input, name, values, outFeatures, inFeatures, limit);
    }
    const chunkColumns = Math.max(1, Math.min(outFeatures, Math.floor(limit / inFeatures)));
    const products: ColumnChunk[] = [];
    for (let start = 0; start < outFeatures; start += chunkColumns) {
      const columns = Math.min(chunkColumns, outFeatures - start);
      const chunkName = columns === outFeatures ? name : `${name}.columns_${start}`;
      const slice = transposedRows(values, inFeatures, start, columns);
      const weight = this.storeMatrix(chunkName, slice, inFeatures, columns);
      products.push({ value: this.graph.op('MatMul', [input, weight]), offset: start, width: columns });
    }
    return this.joinColumns(products);
  }

  /** The column chunks a product was concatenated from, if it was. */
  chunksOf(value: string): readonly ColumnChunk[] | undefined {
    return this.columnChunks.get(value);
  }

  /**
   * A matrix wider in its inputs than its outputs (the MLP's down projection) is chunked along the
   * input features instead: Σₖ Xₖ·Wₖ. Chunked by output columns, each chunk's backward would make a
   * full-size input gradient (dY·Wₖᵀ) to be summed; here each makes only its slice of it.
   */
  private matMulByInputChunks(
    input: string,
    name: string,
    values: ArrayLike<number>,
    outFeatures: number,
    inFeatures: number,
    limit: number,
  ): string {
    // Chunk boundaries on whole quantization blocks, so the blocks match an unchunked matrix.
    const chunkRows = Math.max(1, Math.floor(limit / outFeatures / this.blockSize)) * this.blockSize;
    const sizes: number[] = [];
    for (let start = 0; start < inFeatures; start += chunkRows) sizes.push(Math.min(chunkRows, inFeatures - start));
    const pieces = this.graph.node('Split', [input, this.ints(sizes)], sizes.length, { axis: -1 });
    let sum: string | undefined;
    let start = 0;
    sizes.forEach((rows, index) => {
      // [rows, out]: input features start…start+rows of every output row of W.
      const slice = new Float32Array(rows * outFeatures);
      for (let output = 0; output < outFeatures; output++) {
        for (let feature = 0; feature < rows; feature++)
          slice[feature * outFeatures + output] = values[output * inFeatures + start + feature];
      }
      const weight = this.storeMatrix(`${name}.rows_${start}`, slice, rows, outFeatures);
      const product = this.graph.op('MatMul', [pieces[index], weight]);
      sum = sum ? this.graph.op('Add', [sum, product]) : product;
      start += rows;
    });
    return sum!;
  }

  /** Rows `ids` of a frozen [vocabulary, hidden] table, dequantizing only the rows gathered. */
  embeddingLookup(name: string, values: ArrayLike<number>, vocabulary: number, hidden: number, ids: string): string {
    const { graph } = this;
    const { codes, scales } = this.storeTable(name, values, vocabulary, hidden);
    const rows = graph.op('Gather', [codes, ids], { axis: 0 });
    const rowScales = graph.op('Gather', [scales, ids], { axis: 0 });
    return this.dequantizeRows(rows, rowScales, hidden, 2, (opType, inputs, attributes) =>
      graph.op(opType, inputs, attributes ?? {}),
    );
  }

  /**
   * input·Tᵀ for the frozen table T [vocabulary, hidden] that embeddingLookup reads (a tied LM
   * head), from the same 4-bit codes: chunks of whole rows, each dequantized and multiplied by its
   * transpose (ONNX Runtime folds that Transpose into the MatMul), then concatenated.
   */
  tableMatMul(input: string, name: string, values: ArrayLike<number>, vocabulary: number, hidden: number): string {
    const { graph } = this;
    const { codes, scales } = this.storeTable(name, values, vocabulary, hidden);
    const limit = this.quantization.chunkElements ?? CHUNK_ELEMENTS;
    const chunkRows = Math.max(1, Math.min(vocabulary, Math.floor(limit / hidden)));
    const products: ColumnChunk[] = [];
    for (let start = 0; start < vocabulary; start += chunkRows) {
      const width = Math.min(chunkRows, vocabulary - start);
      const bounds = [this.ints([start]), this.ints([start + width]), this.ints([0])];
      const rowScales = graph.op('Slice', [scales, ...bounds]);
      const dequantize = (emit: Emit, source: string) => {
        const rows = this.dequantizeRows(emit('Slice', [source, ...bounds]), rowScales, hidden, 1, emit);
        return emit('Transpose', [rows], { perm: [1, 0] });
      };
      const weight = dequantize((opType, inputs, attributes) => graph.op(opType, inputs, attributes ?? {}), codes);
      this.recipes.set(weight, { codes, dequantize });
      products.push({ value: graph.op('MatMul', [input, weight]), offset: start, width });
    }
    return this.joinColumns(products);
  }

  /** Column chunks side by side (remembered for chunksOf); a single chunk is the product itself. */
  private joinColumns(products: ColumnChunk[]): string {
    if (products.length === 1) return products[0].value;
    const joined = this.graph.op(
      'Concat',
      products.map(({ value }) => value),
      { axis: -1 },
    );
    this.columnChunks.set(joined, products);
    return joined;
  }

  /** A [vocabulary, hidden] table in 4-bit blocks along hidden, stored once however many readers it has. */
  private storeTable(name: string, values: ArrayLike<number>, vocabulary: number, hidden: number) {
    const known = this.tables.get(name);
    if (known) return known;
    const matrix = quantizeMatrix(values, vocabulary, hidden, {
      format: this.quantization.format,
      blockSize: this.blockSize,
      axis: 1,
      name,
    });
    const table = {
      codes: this.graph.initializer(`${name}.codes`, tensor('uint8', matrix.packed, [vocabulary, hidden / 2])),
      scales: this.graph.initializer(
        `${name}.scales`,
        this.floats(matrix.scales, [vocabulary, hidden / this.blockSize]),
      ),
    };
    this.tables.set(name, table);
    return table;
  }

  /**
   * Codes [..., hidden/2] and their block scales [..., blocks] → floats [..., hidden]; `leading`
   * is the number of axes before the last (kept by Reshape's 0s).
   */
  private dequantizeRows(codes: string, rowScales: string, hidden: number, leading: number, emit: Emit): string {
    const kept = new Array<number>(leading).fill(0);
    const pairs = emit('Gather', [this.pairs(), emit('Cast', [codes], { to: INT32 })], { axis: 0 });
    const scaled = emit('Mul', [
      emit('Reshape', [pairs, this.ints([...kept, hidden / this.blockSize, this.blockSize])]),
      emit('Unsqueeze', [rowScales, this.ints([-1])]),
    ]);
    return emit('Reshape', [scaled, this.ints([...kept, hidden])]);
  }

  /** Replacement gradient rules: MatMul recomputes a quantized right operand instead of reusing it. */
  rules(): ReadonlyMap<string, OperatorRule> {
    const base = matrixProductRules.MatMul;
    const recipes = this.recipes;
    const rematerializing: OperatorRule = {
      inferShapes: base.inferShapes,
      backward: (step, context) => {
        const [left, right] = step.node.inputs;
        const recipe = recipes.get(right);
        if (!recipe || step.needs[1]) return base.backward!(step, context);
        // The codes are read through a view that waits for this gradient: ONNX Runtime cannot run
        // the recomputation before it is needed (8 MiB lower step peak on the bench model than
        // leaving the order to ONNX Runtime, measured), and, starting differently from the forward
        // chain, common-subexpression elimination cannot merge the two.
        const again = recipe.dequantize(
          (opType, inputs, attributes) => context.op(opType, inputs, attributes),
          context.waitingView(recipe.codes, onlyGradient(step)),
        );
        const renamed: BackwardContext = Object.assign(Object.create(context) as BackwardContext, {
          shape: (value: string) => context.shape(value === again ? right : value),
        });
        return base.backward!({ ...step, node: { ...step.node, inputs: [left, again] } }, renamed);
      },
    };
    return new Map([['MatMul', rematerializing]]);
  }

  /** Stores [rows, columns] (blocks along rows) and emits its dequantization; returns the float value. */
  private storeMatrix(name: string, values: Float32Array, rows: number, columns: number): string {
    const matrix = quantizeMatrix(values, rows, columns, {
      format: this.quantization.format,
      blockSize: this.blockSize,
      axis: 0,
      name,
    });
    const { graph } = this;
    const codes = graph.initializer(`${name}.codes`, tensor('uint8', matrix.packed, [matrix.packed.length]));
    const scales = graph.initializer(`${name}.scales`, this.floats(matrix.scales, [rows / this.blockSize, 1, columns]));
    const blockShape = this.ints([rows / this.blockSize, this.blockSize, columns]);
    const matrixShape = this.ints([rows, columns]);
    const table = this.pairs();
    const dequantize = (emit: Emit, source: string) => {
      const pairs = emit('Gather', [table, emit('Cast', [source], { to: INT32 })], { axis: 0 });
      return emit('Reshape', [emit('Mul', [emit('Reshape', [pairs, blockShape]), scales]), matrixShape]);
    };
    const weight = dequantize((opType, inputs, attributes) => graph.op(opType, inputs, attributes ?? {}), codes);
    this.recipes.set(weight, { codes, dequantize });
    return weight;
  }

  private pairs(): string {
    this.table ??= this.graph.initializer(
      `${this.quantization.format}_byte_table`,
      this.floats(pairTable(this.quantization.format), [256, 2]),
    );
    return this.table;
  }

  private floats(values: ArrayLike<number>, dims: readonly number[]): TensorValue {
    return this.type === 'float64'
      ? tensor('float64', Float64Array.from(values), dims)
      : tensor('float32', Float32Array.from(values), dims);
  }

  private ints(values: readonly number[]): string {
    return this.graph.constant(tensor('int64', BigInt64Array.from(values.map(BigInt)), [values.length]), 'ints');
  }
}
