/** Hand-set weight matrices for tiny models: row-major float32, filled entry by entry. */

export class WeightMatrix {
  readonly data: Float32Array;

  constructor(
    readonly rows: number,
    readonly columns: number,
  ) {
    this.data = new Float32Array(rows * columns);
  }

  set(row: number, column: number, value: number): this {
    if (row < 0 || row >= this.rows || column < 0 || column >= this.columns) {
      throw new RangeError(`weight (${row}, ${column}) is outside ${this.rows}x${this.columns}`);
    }
    this.data[row * this.columns + column] = value;
    return this;
  }
}

/** A vector with `value` at `index` and zeros elsewhere. */
export function unitVector(length: number, index: number, value = 1): Float32Array {
  const vector = new Float32Array(length);
  vector[index] = value;
  return vector;
}
