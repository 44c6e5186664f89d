/**
 * One ONNX graph of the pipeline on an `InferenceSession`: reads each input's element type and
 * shape from the session metadata, so callers hand over float32/number data and get float32 back
 * whatever the export uses (fp32 or fp16 floats; int32 or int64 ids; int64 or float timesteps).
 * Every `run` is timed, so the loop's overhead can be measured against time inside ONNX Runtime.
 */
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describeError, MmkitError } from '../../../../errors.ts';
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';

export interface InputInfo {
  type: string;
  /** Dims as the graph declares them: numbers are fixed, strings symbolic. */
  shape: readonly (number | string)[];
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
    const { type } = this.input(name);
    switch (type) {
      case 'float32':
        return new Tensor('float32', values instanceof Float32Array ? values : Float32Array.from(values), dims);
      case 'float16':
        return new Tensor('float16', float32ToFloat16(values), dims);
      case 'float64':
        return new Tensor('float64', Float64Array.from(values), dims);
      case 'int64':
        return new Tensor('int64', BigInt64Array.from(Array.from(values, (value) => BigInt(Math.round(value)))), dims);
      case 'int32':
        return new Tensor('int32', Int32Array.from(values, Math.round), dims);
      default:
        throw new MmkitError(`the ${this.label} (${this.path}) takes ${name} as ${type}, which mmkit cannot feed`, {
          code: 'model_unsupported',
          param: 'model',
          type: 'unsupported_error',
        });
    }
  }

  /** Runs the graph and returns the named output (default: the first) as float32 with its dims. */
  async run(
    feeds: Record<string, Tensor>,
    output = this.outputNames[0],
  ): Promise<{ data: Float32Array; dims: number[] }> {
    const started = performance.now();
    let results: InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, [output]);
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
    const tensor = results[output] as Tensor;
    const dims = [...tensor.dims];
    const data = tensor.data;
    if (data instanceof Float32Array) return { data, dims };
    if (data instanceof Uint16Array) return { data: float16ToFloat32(data), dims };
    return { data: Float32Array.from(data as ArrayLike<number>), dims };
  }

  resetTimer(): void {
    this.runMs = 0;
    this.calls = 0;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
