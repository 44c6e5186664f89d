/**
 * Shared state while emitting a decoder's training graph: the builder, the float type every
 * tensor uses, the frozen weights (initializers, converted to that type) and the trainable LoRA
 * tensors (graph inputs, so the optimizer can feed new values every step).
 */
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { int64Tensor, type TensorValue, tensor } from '../../onnx/tensor.ts';
import type { WeightSource } from './weight-source.ts';

export type FloatType = 'float32' | 'float64';

export interface TrainableTensor {
  /** PEFT's name, e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`. */
  name: string;
  dims: number[];
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
  readonly dropoutMasks: DropoutMaskInput[] = [];

  constructor(
    readonly graph: GraphBuilder,
    readonly type: FloatType,
    private readonly weights: WeightSource,
  ) {}

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
    const values = this.weights(name, dims);
    if (!transpose) return this.graph.initializer(name, this.floatTensor(values, dims));
    const [rows, columns] = dims;
    const transposed = new Float64Array(values.length);
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) transposed[column * rows + row] = values[row * columns + column];
    }
    return this.graph.initializer(name, this.floatTensor(transposed, [columns, rows]));
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
