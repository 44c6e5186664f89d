/**
 * One ONNX graph of the pipeline on an `InferenceSession`: reads each input's element type and
 * shape from the session metadata, so callers hand over float32/number data and get float32 back
 * whatever the export uses (fp32 or fp16 floats; int32 or int64 ids; int64 or float timesteps).
 * Every `run` is timed, so the loop's overhead can be measured against time inside ONNX Runtime.
 */
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describeError, MmkitError } from '../../../../errors.ts';
import { float16ToFloat32, float32ToFloat16, toFloat16Bits } from './float16.ts';

export interface InputInfo {
  type: string;
  /** Dims as the graph declares them: numbers are fixed, strings symbolic. */
  shape: readonly (number | string)[];
}

const FEEDABLE_TYPES = ['float32', 'float16', 'float64', 'int64', 'int32'] as const;
type FeedableType = (typeof FEEDABLE_TYPES)[number];

/**
 * A graph input that keeps its buffers from run to run, for loops that feed the same input every
 * step: write float32 values into `values`, then `tensor()` converts them in place to the graph's
 * element type and returns the same Tensor each time. For a float32 input `values` is the
 * tensor's own data, so nothing is copied or allocated per run.
 */
export class InputBuffer {
  readonly values: Float32Array;
  private readonly target: Tensor;

  constructor(
    readonly type: FeedableType,
    dims: readonly number[],
  ) {
    const size = dims.reduce((product, dim) => product * dim, 1);
    this.values = new Float32Array(size);
    const data = {
      float32: () => this.values,
      float16: () => new Uint16Array(size),
      float64: () => new Float64Array(size),
      int64: () => new BigInt64Array(size),
      int32: () => new Int32Array(size),
    }[type]();
    this.target = new Tensor(type, data, dims);
  }

  tensor(): Tensor {
    const { values } = this;
    const data = this.target.data;
    if (data instanceof Uint16Array) {
      for (let index = 0; index < values.length; index++) data[index] = toFloat16Bits(values[index]);
    } else if (data instanceof Float64Array) {
      data.set(values);
    } else if (data instanceof BigInt64Array) {
      for (let index = 0; index < values.length; index++) data[index] = BigInt(Math.round(values[index]));
    } else if (data instanceof Int32Array) {
      for (let index = 0; index < values.length; index++) data[index] = Math.round(values[index]);
    }
    return this.target;
  }
}

export class OnnxPart {
  /** Milliseconds spent inside `session.run` since the last `resetTimer`. */
  runMs = 0;
  calls = 0;

  private constructor(
    readonly label: string,
    readonly path: string,
    private readonly session: InferenceSession,
  ) {}

  static async load(label: string, path: string, options: InferenceSession.SessionOptions = {}): Promise<OnnxPart> {
    try {
      return new OnnxPart(label, path, await InferenceSession.create(path, options));
    } catch (error) {
      throw new MmkitError(`cannot load the ${label} (${path}): ${describeError(error)}`, {
        code: 'model_invalid',
        param: 'model',
        cause: error,
      });
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  hasInput(name: string): boolean {
    return this.session.inputNames.includes(name);
  }

  input(name: string): InputInfo {
    const metadata = this.session.inputMetadata.find((entry) => entry.name === name);
    if (!metadata) {
      throw new MmkitError(
        `the ${this.label} (${this.path}) has no input "${name}" (it has ${this.inputNames.join(', ')})`,
        {
          code: 'model_invalid',
          param: 'model',
        },
      );
    }
    return metadata.isTensor ? { type: metadata.type, shape: metadata.shape } : { type: 'unknown', shape: [] };
  }

  /** The fixed size of an input's first dimension, or undefined when it is symbolic. */
  fixedBatch(name: string): number | undefined {
    const first = this.input(name).shape[0];
    return typeof first === 'number' && first > 0 ? first : undefined;
  }

  /** A tensor for input `name` in the element type the graph declares. */
  tensor(name: string, values: ArrayLike<number>, dims: readonly number[]): Tensor {
    const type = this.feedableType(name);
    switch (type) {
      case 'float32':
        return new Tensor('float32', values instanceof Float32Array ? values : Float32Array.from(values), dims);
      case 'float16':
        return new Tensor('float16', float32ToFloat16(values), dims);
      case 'float64':
        return new Tensor('float64', Float64Array.from(values), dims);
      case 'int64':
        return new Tensor('int64', BigInt64Array.from(Array.from(values, (value) => BigInt(Math.round(value)))), dims);
      default:
        return new Tensor('int32', Int32Array.from(values, Math.round), dims);
    }
  }

  /** A reusable input for `name` with fixed dims: see `InputBuffer`. */
  inputBuffer(name: string, dims: readonly number[]): InputBuffer {
    return new InputBuffer(this.feedableType(name), dims);
  }

  private feedableType(name: string): FeedableType {
    const { type } = this.input(name);
    if ((FEEDABLE_TYPES as readonly string[]).includes(type)) return type as FeedableType;
    throw new MmkitError(`the ${this.label} (${this.path}) takes ${name} as ${type}, which mmkit cannot feed`, {
      code: 'model_unsupported',
      param: 'model',
      type: 'unsupported_error',
    });
  }

  /** Runs the graph and returns the named output (default: the first) as float32 with its dims. */
  async run(
    feeds: Record<string, Tensor>,
    output = this.outputNames[0],
  ): Promise<{ data: Float32Array; dims: number[] }> {
    return (await this.runOutputs(feeds, [output]))[output]!;
  }

  /** Several outputs of one run, as float32. */
  async runOutputs(
    feeds: Record<string, Tensor>,
    outputs: readonly string[],
  ): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
    const started = performance.now();
    let results: InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, [...outputs]);
    } catch (error) {
      throw new MmkitError(`the ${this.label} failed: ${describeError(error)}`, {
        code: 'model_run_failed',
        type: 'runtime_error',
        cause: error,
      });
    } finally {
      this.runMs += performance.now() - started;
      this.calls++;
    }
    return Object.fromEntries(outputs.map((output) => [output, asFloat32(results[output] as Tensor)]));
  }

  resetTimer(): void {
    this.runMs = 0;
    this.calls = 0;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function asFloat32(tensor: Tensor): { data: Float32Array; dims: number[] } {
  const dims = [...tensor.dims];
  const data = tensor.data;
  if (data instanceof Float32Array) return { data, dims };
  if (data instanceof Uint16Array) return { data: float16ToFloat32(data), dims };
  return { data: Float32Array.from(data as ArrayLike<number>), dims };
}
