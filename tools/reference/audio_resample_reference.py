"""Reference outputs of torchaudio's resampler, for src/preprocess/audio/resample.test.ts.

Run from the repository root with Debian's Python (python3-torch, python3-torchaudio, python3-numpy):
    /usr/bin/python3 tools/reference/audio_resample_reference.py
Writes src/preprocess/audio/fixtures/resample-{fast,best}.golden.json.

Inputs are rebuilt bit-for-bit by the test: `speech` is the first samples of the LibriVox clip
speech-0880.wav (int16 / 32768) simply declared to be at the input rate, `sweep` a linear chirp from
50 Hz to 0.49 × the input rate (so it also crosses the output's Nyquist when downsampling).
Outputs are stored as little-endian float32, base64.
"""
import base64
import json
import wave

import numpy as np
import torch
import torchaudio.functional as F

FIXTURES = "src/preprocess/audio/fixtures"
RATIOS = [(44100, 16000), (48000, 16000), (22050, 16000), (8000, 16000)]
OUTPUT_SECONDS = 0.125
SETTINGS = {
    # torchaudio's defaults.
    "fast": dict(lowpass_filter_width=6, rolloff=0.99, resampling_method="sinc_interpolation"),
    # librosa's historical kaiser_best.
    "best": dict(lowpass_filter_width=64, rolloff=0.9475937167399596, resampling_method="kaiser_window",
                 beta=14.769656459379492),
}


def speech(length):
    with wave.open(f"{FIXTURES}/speech-0880.wav") as clip:
        samples = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    return samples[:length].astype(np.float64) / 32768.0


def sweep(length, rate):
    t = np.arange(length, dtype=np.float64) / rate
    duration = length / rate
    f0, f1 = 50.0, 0.49 * rate
    return 0.5 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * duration)))


def main():
    for quality, setting in SETTINGS.items():
        cases = []
        for source_rate, target_rate in RATIOS:
            length = int(round(OUTPUT_SECONDS * source_rate))
            for signal_name, signal in [("speech", speech(length)), ("sweep", sweep(length, source_rate))]:
                waveform = torch.tensor(signal.astype(np.float32))[None]
                output = F.resample(waveform, source_rate, target_rate, **setting)[0].numpy().astype("<f4")
                cases.append({
                    "signal": signal_name,
                    "fromRate": source_rate,
                    "toRate": target_rate,
                    "inputLength": length,
                    "output": base64.b64encode(output.tobytes()).decode("ascii"),
                })
        with open(f"{FIXTURES}/resample-{quality}.golden.json", "w") as out:
            json.dump({"generator": "tools/reference/audio_resample_reference.py", "torchaudio": setting,
                       "cases": cases}, out)


if __name__ == "__main__":
    main()
