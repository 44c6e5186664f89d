/**
 * Merges the transcripts of overlapping windows (see `windows.ts`) into one, without the words of
 * the overlap twice and without dropping any. Each window's segments become timed words (from the
 * model's word timestamps when it gives them, else spread over the segment by length). In each
 * overlap we look for the longest run of words both windows heard at about the same time and cut
 * in its middle: the earlier window keeps the first half of the run, the later one the rest, so
 * neither window's ragged edge (a word cut in half) survives. When the windows share no words there,
 * we cut at the middle of the overlap instead, each word going to the side its midpoint lies on.
 */
import type { TimedWord, TranscriptionSegment } from '../../models/spec/index.ts';
import { joinTexts, joinWords, splitWords, type WordPiece } from './words.ts';

export interface WindowTranscript {
  /** The window's span in seconds from the start of the audio. */
  start: number;
  end: number;
  /** Its segments, with times from the start of the audio (not of the window). */
  segments: readonly TranscriptionSegment[];
}

export interface MergedSegment extends TranscriptionSegment {
  /** Which window (index into the merged list) the segment was heard in. */
  window: number;
}

export interface MergedTranscript {
  text: string;
  segments: MergedSegment[];
}

interface TimedPiece extends WordPiece {
  start: number;
  end: number;
  window: number;
  segment: TranscriptionSegment;
  firstOfSegment: boolean;
  lastOfSegment: boolean;
  word?: TimedWord;
}

export function mergeWindowTranscripts(windows: readonly WindowTranscript[]): MergedTranscript {
  let merged: TimedPiece[] = [];
  windows.forEach((window, index) => {
    const pieces = window.segments.flatMap((segment) => timedPieces(segment, index));
    merged = index === 0 ? pieces : mergePair(merged, pieces, window.start, windows[index - 1].end);
  });
  const segments = rebuildSegments(merged);
  return { text: joinTexts(segments.map((segment) => segment.text)), segments };
}

/**
 * The merged text of the segments that end by `before` seconds (all of it when `before` is
 * undefined). Merging a window that starts at `before` only rewrites words after it, so this text
 * is a prefix of the final transcript: what a stream can send while later windows still run.
 */
export function settledText(windows: readonly WindowTranscript[], before?: number): string {
  const merged = mergeWindowTranscripts(windows);
  if (before === undefined) return merged.text;
  const settled: string[] = [];
  for (const segment of merged.segments) {
    if (segment.end > before) break;
    settled.push(segment.text);
  }
  return joinTexts(settled);
}

function timedPieces(segment: TranscriptionSegment, window: number): TimedPiece[] {
  const pieces = splitWords(segment.text);
  const words = segment.words?.length === pieces.length ? segment.words : undefined;
  const total = pieces.reduce((sum, piece) => sum + piece.key.length, 0);
  const span = segment.end - segment.start;
  let before = 0;
  return pieces.map((piece, index) => {
    const start = words ? words[index].start : segment.start + (span * before) / total;
    before += piece.key.length;
    const end = words ? words[index].end : segment.start + (span * before) / total;
    return {
      ...piece,
      start,
      end,
      window,
      segment,
      firstOfSegment: index === 0,
      lastOfSegment: index === pieces.length - 1,
      ...(words ? { word: { word: piece.text, start, end } } : {}),
    };
  });
}

function mergePair(earlier: TimedPiece[], later: TimedPiece[], overlapStart: number, overlapEnd: number): TimedPiece[] {
  const firstInOverlap = earlier.findIndex((piece) => piece.end > overlapStart);
  const tailStart = firstInOverlap < 0 ? earlier.length : firstInOverlap;
  const tail = earlier.slice(tailStart);
  const headEnd = later.findIndex((piece) => piece.start >= overlapEnd);
  const head = later.slice(0, headEnd < 0 ? later.length : headEnd);
  const tolerance = Math.max(1, (overlapEnd - overlapStart) / 2);
  const run = longestSharedRun(tail, head, tolerance);
  if (run) {
    const half = Math.floor(run.length / 2);
    return [...earlier.slice(0, tailStart + run.tailIndex + half), ...later.slice(run.headIndex + half)];
  }
  const cut = (overlapStart + overlapEnd) / 2;
  const middle = (piece: TimedPiece) => (piece.start + piece.end) / 2;
  return [...earlier.filter((piece) => middle(piece) < cut), ...later.filter((piece) => middle(piece) >= cut)];
}

interface SharedRun {
  tailIndex: number;
  headIndex: number;
  length: number;
}

/**
 * The longest run of equal word keys in both lists whose middle words sound within `tolerance`
 * seconds of each other; ties go to the run whose times agree best.
 */
export function longestSharedRun(
  tail: readonly Pick<TimedPiece, 'key' | 'start' | 'end'>[],
  head: readonly Pick<TimedPiece, 'key' | 'start' | 'end'>[],
  tolerance: number,
): SharedRun | undefined {
  let best: (SharedRun & { drift: number }) | undefined;
  let previousRow = new Array<number>(head.length + 1).fill(0);
  for (let i = 1; i <= tail.length; i++) {
    const row = new Array<number>(head.length + 1).fill(0);
    for (let j = 1; j <= head.length; j++) {
      if (tail[i - 1].key !== head[j - 1].key) continue;
      const length = previousRow[j - 1] + 1;
      row[j] = length;
      const tailIndex = i - length;
      const headIndex = j - length;
      const middle = Math.floor(length / 2);
      const drift = Math.abs(tail[tailIndex + middle].start - head[headIndex + middle].start);
      if (drift > tolerance) continue;
      if (!best || length > best.length || (length === best.length && drift < best.drift)) {
        best = { tailIndex, headIndex, length, drift };
      }
    }
    previousRow = row;
  }
  return best && { tailIndex: best.tailIndex, headIndex: best.headIndex, length: best.length };
}

/** Consecutive pieces of one window's segment become one segment again, trimmed to what was kept. */
function rebuildSegments(pieces: readonly TimedPiece[]): MergedSegment[] {
  const groups: TimedPiece[][] = [];
  for (const piece of pieces) {
    const group = groups.at(-1);
    if (group && group[0].segment === piece.segment && group[0].window === piece.window) group.push(piece);
    else groups.push([piece]);
  }
  return groups.map((group, id) => {
    const first = group[0];
    const last = group[group.length - 1];
    const segment: MergedSegment = {
      id,
      start: first.firstOfSegment ? first.segment.start : first.start,
      end: last.lastOfSegment ? last.segment.end : last.end,
      text: joinWords(group),
      window: first.window,
    };
    if (group.every((piece) => piece.word)) segment.words = group.map((piece) => piece.word!);
    return segment;
  });
}
