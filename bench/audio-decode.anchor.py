"""Anchor for bench/audio-decode.bench.ts: WAV decode + torchaudio resample, one thread.

Usage: python3 bench/audio-decode.anchor.py FILE.wav TARGET_RATE RUNS
Prints JSON {"best_ms": …, "fast_ms": …}: medians of decode (16-bit PCM → mono float32) + resample with
torchaudio's Kaiser "best" setting and with its default setting.
"""
import json
import sys
import time
import wave

import numpy as np
import torch
import torchaudio.functional as F

BEST = dict(lowpass_filter_width=64, rolloff=0.9475937167399596, resampling_method="kaiser_window",
            beta=14.769656459379492)


def decode(path):
    with wave.open(path) as clip:
        channels, rate = clip.getnchannels(), clip.getframerate()
        data = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    mono = data.reshape(-1, channels).astype(np.float32).mean(axis=1) / 32768.0
    return torch.from_numpy(mono), rate


def median_ms(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def main():
    torch.set_num_threads(1)
    path, target, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    def best():
        waveform, rate = decode(path)
        F.resample(waveform, rate, target, **BEST)

    def fast():
        waveform, rate = decode(path)
        F.resample(waveform, rate, target)

    print(json.dumps({"best_ms": median_ms(best, runs), "fast_ms": median_ms(fast, runs)}))


if __name__ == "__main__":
    main()
