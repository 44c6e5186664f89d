import { describe, expect, it } from 'vitest';
import { denseMelFilters, hzToMel, melFilterBank, melToHz } from './mel-filters.ts';
import { readGolden } from './test-support/fixtures.ts';

describe('mel scale', () => {
  it('is linear below 1 kHz and logarithmic above (Slaney), and inverts', () => {
    expect(hzToMel(1000)).toBeCloseTo(15, 12);
    expect(hzToMel(500)).toBeCloseTo(7.5, 12);
    expect(hzToMel(6400)).toBeCloseTo(42, 10);
    expect(hzToMel(1000, 'htk')).toBeCloseTo(999.9855, 3);
    for (const hz of [0, 123, 999, 1000, 4321, 8000]) {
      expect(melToHz(hzToMel(hz))).toBeCloseTo(hz, 8);
      expect(melToHz(hzToMel(hz, 'htk'), 'htk')).toBeCloseTo(hz, 8);
    }
  });
});

describe('melFilterBank', () => {
  it("matches librosa's Slaney-normalised filters (Whisper's 80 × 201 bank) from the reference", () => {
    const golden = readGolden('mel-filters-400-80.npy');
    expect(golden.shape).toEqual([80, 201]);
    const dense = denseMelFilters(melFilterBank({ sampleRate: 16000, nFft: 400, nMels: 80, fmax: 8000 }));
    let worst = 0;
    let peak = 0;
    for (let i = 0; i < dense.length; i++) {
      worst = Math.max(worst, Math.abs(dense[i] - golden.data[i]));
      peak = Math.max(peak, golden.data[i]);
    }
    expect(peak).toBeGreaterThan(0.01);
    expect(worst / peak).toBeLessThan(1e-6);
  });

  it('keeps each filter to the bins where it is non-zero, and caches the bank', () => {
    const bank = melFilterBank({ sampleRate: 16000, nFft: 2048, nMels: 80, fmax: 8000 });
    expect(bank.nBins).toBe(1025);
    expect(bank.offset[80]).toBe(bank.weights.length);
    // Neighbouring triangles overlap by half: at most two filters per bin.
    expect(bank.weights.length).toBeLessThan(2 * 1025);
    for (let i = 0; i < 80; i++) expect(bank.offset[i + 1]).toBeGreaterThan(bank.offset[i]);
    expect(melFilterBank({ sampleRate: 16000, nFft: 2048, nMels: 80, fmax: 8000 })).toBe(bank);
  });
});
