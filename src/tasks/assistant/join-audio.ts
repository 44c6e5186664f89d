/** The final answer audio: the spoken sentences end to end, at the first chunk's rate. */
import { resample } from '../../preprocess/audio/resample.ts';

export interface AudioPiece {
  samples: Float32Array;
  sampleRate: number;
}

export function joinAudio(pieces: readonly AudioPiece[]): AudioPiece {
  const sampleRate = pieces[0]?.sampleRate ?? 16000;
  const converted = pieces.map((piece) =>
    piece.sampleRate === sampleRate ? piece.samples : resample(piece.samples, piece.sampleRate, sampleRate),
  );
  const samples = new Float32Array(converted.reduce((sum, samples) => sum + samples.length, 0));
  let offset = 0;
  for (const piece of converted) {
    samples.set(piece, offset);
    offset += piece.length;
  }
  return { samples, sampleRate };
}
