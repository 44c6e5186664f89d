/**
 * Shared state while emitting a decoder graph: the builder, the float type every tensor uses, the
 * frozen weights (initializers, converted to that type), the trainable LoRA tensors (graph inputs,
 * so the optimizer can feed new values every step), and how things are named: LoRA inputs after
 * the checkpoint's module names (PEFT's), and, for exported inference graphs, projections the way
 * Optimum's ONNX exports name them (`/model/layers.0/self_attn/q_proj/MatMul` reading a transposed
 * weight `onnx::MatMul_<n>`), which adapter patchers look for.
 */
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { int64Tensor, type TensorValue, tensor } from '../../onnx/tensor.ts';
import { type FrozenQuantization, QuantizedWeights } from './quantized-weights.ts';
import type { WeightSource } from './weight-source.ts';

export type FloatType = 'float32' | 'float64';

export interface TrainableTensor {
  /** PEFT's name, e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`. */
  name: string;
  dims: number[];
}

export interface NamingOptions {
  /** Where the checkpoint keeps the decoder (`model.`, `language_model.model.`, …); default `model.`. */
  modulePrefix?: string;
  /** Name projections like Optimum's exports (inference graphs). */
  optimumNames?: boolean;
}

/** `model.layers.0.self_attn.q_proj` → `/model/layers.0/self_attn/q_proj` (module list indices stay dotted). */
export function exportedNodePath(module: string): string {
  return `/${module.replace(/\.(?!\d)/g, '/')}`;
}

/** A canonical module name (`model.layers.0.self_attn.q_proj`) as the checkpoint names it. */
export function checkpointModuleName(canonical: string, modulePrefix = 'model.'): string {
  return canonical.startsWith('model.') ? `${modulePrefix}${canonical.slice('model.'.length)}` : canonical;
}

/** A LoRA dropout mask input: `name` [batch, sequence, features], for module `module`. */
export interface DropoutMaskInput {
  name: string;
  module: string;
  features: number;
}

/** The graph input holding a module's LoRA dropout mask. */
export function dropoutMaskName(module: string): string {
  return `${module}.lora_dropout_mask`;
}

export class DecoderGraphContext {
  readonly trainable: TrainableTensor[] = [];
  /** Present when frozen matrices are stored in 4-bit blocks (QLoRA). */
  readonly quantized: QuantizedWeights | undefined;
  private matMulWeights = 0;
  readonly dropoutMasks: DropoutMaskInput[] = [];
  /** Values the backward pass recomputes instead of keeping (see GradientOptions.recompute). */
  readonly recomputed = new Set<string>();

  constructor(
    readonly graph: GraphBuilder,
    readonly type: FloatType,
    private readonly weights: WeightSource,
    readonly naming: NamingOptions = {},
    quantization?: FrozenQuantization,
  ) {
    this.quantized = quantization ? new QuantizedWeights(graph, type, quantization) : undefined;
  }

  /** The checkpoint's (and so PEFT's) name of a canonical module. */
  moduleName(canonical: string): string {
    return checkpointModuleName(canonical, this.naming.modulePrefix);
  }

  floatTensor(values: ArrayLike<number>, dims: readonly number[]): TensorValue {
    return this.type === 'float64'
      ? tensor('float64', Float64Array.from(values), dims)
      : tensor('float32', Float32Array.from(values), dims);
  }

  scalar(value: number, prefix = 'scalar'): string {
    return this.graph.constant(this.floatTensor([value], []), prefix);
  }

  int64Scalar(value: number): TensorValue {
    return int64Tensor([value], []);
  }

  ints(values: readonly number[], prefix = 'ints'): string {
    return this.graph.constant(int64Tensor(values), prefix);
  }

  /** A frozen weight in Hugging Face layout `dims`; `transpose` stores a 2-D weight as [in, out] for MatMul. */
  frozen(name: string, dims: readonly number[], transpose = false): string {
    if (transpose) return this.transposedWeight(name, dims, name);
    return this.graph.initializer(name, this.floatTensor(this.weights(name, dims), dims));
  }

  /** Weight `name` [rows, columns] stored as the initializer `initializer` [columns, rows]. */
  private transposedWeight(name: string, dims: readonly number[], initializer: string): string {
    const values = this.weights(name, dims);
    const [rows, columns] = dims;
    const transposed = new Float64Array(values.length);
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) transposed[column * rows + row] = values[row * columns + column];
    }
    return this.graph.initializer(initializer, this.floatTensor(transposed, [columns, rows]));
  }

  /**
   * x·Wᵀ for the linear module `module` (W [out, in] in Hugging Face layout). Training graphs name
   * the stored Wᵀ `<module>.weight`; exported graphs follow Optimum (see the file comment).
   */
  projection(module: string, input: string, dims: readonly [number, number]): string {
    if (!this.naming.optimumNames) {
      // QLoRA keeps the LM head in 4 bits only together with the embeddings (the same choice for both tables).
      const quantize = module !== 'lm_head' || (this.quantized?.quantizesEmbeddings ?? false);
      return this.frozenMatMul(input, `${module}.weight`, dims[0], dims[1], quantize);
    }
    this.matMulWeights += 1;
    const weight = this.transposedWeight(`${module}.weight`, dims, `onnx::MatMul_${this.matMulWeights}`);
    const path = exportedNodePath(module);
    return this.graph.node('MatMul', [input, weight], [`${path}/MatMul_output_0`], {}, { name: `${path}/MatMul` })[0];
  }

  /** output + b for the linear module `module` (Optimum's node name `/…/Add`, bias first). */
  projectionBias(module: string, output: string, size: number): string {
    const bias = this.frozen(`${module}.bias`, [size]);
    if (!this.naming.optimumNames) return this.graph.op('Add', [output, bias]);
    const path = exportedNodePath(module);
    return this.graph.node('Add', [bias, output], [`${path}/Add_output_0`], {}, { name: `${path}/Add` })[0];
  }

  /** input·Wᵀ for the frozen linear weight `name` [out, in]: a MatMul on W stored pre-transposed, or on its 4-bit form. */
  frozenMatMul(input: string, name: string, outFeatures: number, inFeatures: number, quantize = true): string {
    if (this.quantized && quantize) {
      return this.quantized.matMul(input, name, this.weights(name, [outFeatures, inFeatures]), outFeatures, inFeatures);
    }
    return this.graph.op('MatMul', [input, this.frozen(name, [outFeatures, inFeatures], true)]);
  }

  /** Rows `ids` of the frozen embedding table `name` [vocabulary, hidden]. */
  frozenEmbedding(name: string, vocabulary: number, hidden: number, ids: string): string {
    if (this.quantized?.quantizesEmbeddings) {
      return this.quantized.embeddingLookup(name, this.weights(name, [vocabulary, hidden]), vocabulary, hidden, ids);
    }
    return this.graph.op('Gather', [this.table(name, [vocabulary, hidden]), ids], { axis: 0 });
  }

  /**
   * The LM head of a model that ties it to its embeddings (`tie_word_embeddings`): logits from the
   * embedding table itself, which the graph stores once. In float, a Gemm with transB on
   * [tokens, hidden]: a MatMul would need the table transposed, and ONNX Runtime would fold that
   * Transpose into a second copy of the table.
   */
  tiedHead(input: string, vocabulary: number, hidden: number): string {
    const name = 'model.embed_tokens.weight';
    if (this.quantized?.quantizesEmbeddings) {
      return this.quantized.tableMatMul(input, name, this.weights(name, [vocabulary, hidden]), vocabulary, hidden);
    }
    const { graph } = this;
    const tokens = graph.op('Reshape', [input, this.ints([-1, hidden])]);
    const logits = graph.op('Gemm', [tokens, this.table(name, [vocabulary, hidden])], { transB: 1 });
    const shape = graph.op('Concat', [graph.op('Shape', [input], { start: 0, end: -1 }), this.ints([vocabulary])], {
      axis: 0,
    });
    return graph.op('Reshape', [logits, shape]);
  }

  /** A frozen table in its Hugging Face layout, stored once however many nodes read it. */
  private table(name: string, dims: readonly number[]): string {
    if (!this.graph.initializers.some((initializer) => initializer.name === name)) this.frozen(name, dims);
    return name;
  }

  /** The dropout-mask input of a LoRA module, declared as a graph input. */
  dropoutMask(module: string, features: number): string {
    const name = dropoutMaskName(module);
    this.dropoutMasks.push({ name, module, features });
    return this.graph.input(name, this.type, ['batch_size', 'sequence_length', features]);
  }

  /** A trainable tensor, declared as a graph input. */
  trainableInput(name: string, dims: number[]): string {
    this.trainable.push({ name, dims });
    return this.graph.input(name, this.type, dims);
  }
}
