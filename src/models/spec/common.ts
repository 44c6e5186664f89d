/** What every model call shares: cancellation, and what a loaded model says about itself. */

export interface CallOptions {
  /** Cancels the call; providers stop at the next step and reject with an `AbortError`. */
  signal?: AbortSignal;
}

export interface ModelDescription {
  /** The id the registry resolved, e.g. `onnx:HuggingFaceTB/SmolVLM-256M-Instruct`. */
  id: string;
  provider: string;
  /** Bytes the loaded model holds (weights and sessions), when the provider can tell. */
  memoryBytes?: number;
}

/** Timings every generating call reports, in milliseconds. */
export interface Timings {
  totalMs: number;
  /** Time to the first generated token / audio chunk / step, where that means something. */
  firstOutputMs?: number;
}
