/** WAV encoding: mono float samples → 16-bit PCM RIFF/WAVE, what players and browsers all accept. */

export function encodeWav(samples: Float32Array, sampleRate: number): Buffer {
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16); // fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) {
    // Clip, then scale asymmetrically so -1 → -32768 and 1 → 32767 without overflow.
    const value = Math.max(-1, Math.min(1, samples[i]));
    out.writeInt16LE(value < 0 ? Math.round(value * 32768) : Math.round(value * 32767), 44 + i * 2);
  }
  return out;
}
