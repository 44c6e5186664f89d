/**
 * Audio features: log-mel of 30 s of 16 kHz audio.
 *   - Whisper log-mel (n_fft 400, hop 160, 80 mels, one 30 s window): ours vs Transformers.js's
 *     WhisperFeatureExtractor (built from Whisper's config, no download) and vs Whisper's algorithm in
 *     torch + torchaudio's mel filters (a python subprocess timing its own loop on one thread).
 *   - librosa-style mel dB (n_fft 2048, hop 512, 80 mels): ours vs the same in torch.
 * Run alone: `node --import tsx bench/audio-features.bench.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { WhisperFeatureExtractor } from '@huggingface/transformers';
import { melSpectrogram, powerToDb } from '../src/preprocess/audio/mel-spectrogram.ts';
import { whisperLogMel } from '../src/preprocess/audio/whisper-features.ts';
import { type BenchmarkRow, medianMs, printRows } from './report.ts';

const SAMPLE_RATE = 16000;
const SECONDS = 30;

/** A deterministic speech-band signal: a few partials plus noise (timing does not depend on content). */
function testSignal(): Float32Array {
  const samples = new Float32Array(SAMPLE_RATE * SECONDS);
  let state = 12345;
  for (let i = 0; i < samples.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const t = i / SAMPLE_RATE;
    samples[i] =
      0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.1 * Math.sin(2 * Math.PI * 1870 * t) + 0.02 * (state / 1073741824 - 1);
  }
  return samples;
}

const TORCH_SCRIPT = `
import json, sys, time
import torch, torchaudio
torch.set_num_threads(1)
n = ${SAMPLE_RATE * SECONDS}
t = torch.arange(n, dtype=torch.float32) / ${SAMPLE_RATE}
audio = 0.3 * torch.sin(2 * torch.pi * 220 * t) + 0.1 * torch.sin(2 * torch.pi * 1870 * t) + 0.02 * (torch.rand(n) * 2 - 1)
bank400 = torchaudio.functional.melscale_fbanks(201, 0.0, 8000.0, 80, 16000, norm="slaney", mel_scale="slaney").T.contiguous()
bank2048 = torchaudio.functional.melscale_fbanks(1025, 0.0, 8000.0, 80, 16000, norm="slaney", mel_scale="slaney").T.contiguous()
hann400 = torch.hann_window(400)
hann2048 = torch.hann_window(2048)
def whisper():
    stft = torch.stft(audio, 400, 160, window=hann400, return_complex=True)
    mel = bank400 @ (stft[..., :-1].abs() ** 2)
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0
def librosa_style():
    stft = torch.stft(audio, 2048, 512, window=hann2048, center=True, pad_mode="constant", return_complex=True)
    mel = bank2048 @ (stft.abs() ** 2)
    db = 10.0 * torch.log10(torch.clamp(mel, min=1e-10)) - 10.0 * torch.log10(torch.clamp(mel.max(), min=1e-10))
    return torch.maximum(db, db.max() - 80.0)
def median_ms(fn):
    for _ in range(3): fn()
    times = []
    for _ in range(15):
        start = time.perf_counter(); fn(); times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]
print(json.dumps({"whisper": median_ms(whisper), "librosa": median_ms(librosa_style)}))
`;

/** Times the torch versions in a python subprocess; null (with the reason) when torch is missing. */
function torchTimings(): { whisper: number; librosa: number } | string {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const result = spawnSync(python, ['-c', TORCH_SCRIPT], { encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0 || result.error) {
    const reason = result.error?.message ?? result.stderr.trim().split('\n').pop() ?? 'failed';
    return `torchaudio unavailable (${reason})`;
  }
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
}

export async function run(): Promise<BenchmarkRow[]> {
  const audio = testSignal();
  const extractor = new WhisperFeatureExtractor({
    feature_size: 80,
    sampling_rate: SAMPLE_RATE,
    hop_length: 160,
    chunk_length: 30,
    n_fft: 400,
    padding_value: 0,
    n_samples: 480000,
    nb_max_frames: 3000,
  });
  const oursWhisper = await medianMs(() => whisperLogMel(audio), { warmup: 3, runs: 15 });
  const transformersWhisper = await medianMs(() => extractor(audio), { warmup: 1, runs: 5 });
  const oursLibrosa = await medianMs(() => powerToDb(melSpectrogram(audio).data), { warmup: 3, runs: 15 });
  // The JavaScript fallback (no WebAssembly SIMD), for comparison.
  process.env.MMKIT_AUDIO_SIMD = '0';
  const oursWhisperScalar = await medianMs(() => whisperLogMel(audio), { warmup: 3, runs: 9 });
  delete process.env.MMKIT_AUDIO_SIMD;
  const torch = torchTimings();

  const rows: BenchmarkRow[] = [
    {
      name: 'Whisper log-mel, 30 s, 80 mels',
      ours: oursWhisper,
      anchor: transformersWhisper,
      unit: 'ms',
      anchorName: 'Transformers.js WhisperFeatureExtractor',
      better: 'lower',
      goal: 10,
    },
    {
      name: 'Whisper log-mel, 30 s, 80 mels, JavaScript fallback (MMKIT_AUDIO_SIMD=0)',
      ours: oursWhisperScalar,
      anchor: transformersWhisper,
      unit: 'ms',
      anchorName: 'Transformers.js WhisperFeatureExtractor',
      better: 'lower',
    },
  ];
  if (typeof torch === 'string') {
    process.stdout.write(`${torch}\n`);
  } else {
    rows.push(
      {
        name: 'Whisper log-mel, 30 s, 80 mels',
        ours: oursWhisper,
        anchor: torch.whisper,
        unit: 'ms',
        anchorName: 'torch.stft + torchaudio mel (1 thread)',
        better: 'lower',
        goal: 1,
      },
      {
        name: 'librosa-style mel dB, 30 s, n_fft 2048, hop 512, 80 mels',
        ours: oursLibrosa,
        anchor: torch.librosa,
        unit: 'ms',
        anchorName: 'torch.stft + torchaudio mel (1 thread)',
        better: 'lower',
      },
    );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows('audio-features', await run());
}
