/** max |first − second| / max |first| over every tensor: a difference relative to the tensors' scale. */
export function relativeDifference(first: Record<string, Float32Array>, second: Record<string, Float32Array>): number {
  let difference = 0;
  let scale = 0;
  for (const [name, values] of Object.entries(first)) {
    values.forEach((value, index) => {
      difference = Math.max(difference, Math.abs(value - second[name][index]));
      scale = Math.max(scale, Math.abs(value));
    });
  }
  return difference / scale;
}
