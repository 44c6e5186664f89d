"""Golden start/end indices for trimSilence, computed from librosa.effects.trim's definitions in numpy
(librosa itself is not needed): librosa.feature.rms with centred frames padded with constant zeros,
amplitude_to_db(ref=np.max, amin=1e-5, top_db=None), non-silent where dB > -top_db,
start = first non-silent frame * hop, end = min(len, (last non-silent frame + 1) * hop).

Run from the repository root:  /usr/bin/python3 tools/reference/audio_trim_reference.py
Writes src/preprocess/audio/fixtures/trim.golden.json. The synthetic signals are rebuilt by the test
from the same formulas (`signal` names them); the real ones are the committed LibriVox clips.
"""
import json
import wave

import numpy as np

FIXTURES = "src/preprocess/audio/fixtures"


def read_clip(name):
    with wave.open(f"{FIXTURES}/{name}") as clip:
        samples = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    return (samples.astype(np.float64) / 32768.0).astype(np.float32)


def xorshift_noise(length, seed=12345):
    """Uniform noise in [-1, 1) from xorshift32, reproducible in TypeScript."""
    state = seed
    out = np.empty(length)
    for i in range(length):
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        out[i] = state / 2**32 * 2 - 1
    return out


def synthetic(name):
    rate = 16000
    if name == "tone-burst":
        n = np.arange(40000)
        tone = np.where((n >= 8000) & (n < 28000), 0.5 * np.sin(2 * np.pi * 440 * n / rate), 0.0)
        return (tone + 1e-3 * xorshift_noise(40000)).astype(np.float32)
    if name == "decay":
        n = np.arange(32000)
        t = (n - 3000) / rate
        return np.where(n >= 3000, np.exp(-t / 0.3) * np.sin(2 * np.pi * 1000 * t), 0.0).astype(np.float32)
    if name == "short":
        n = np.arange(1000)
        return np.where(n >= 300, 0.3 * np.sin(2 * np.pi * 300 * n / rate), 0.0).astype(np.float32)
    raise ValueError(name)


def frame_db(y, frame_length, hop_length, dtype):
    y = y.astype(dtype)
    half = frame_length // 2
    padded = np.pad(y, (half, half), mode="constant")
    frames = 1 + (len(padded) - frame_length) // hop_length
    windows = np.lib.stride_tricks.as_strided(
        padded, shape=(frames, frame_length), strides=(padded.strides[0] * hop_length, padded.strides[0]))
    rms = np.sqrt(np.mean(np.abs(windows) ** 2, axis=1))
    reference = np.max(rms)
    amin = 1e-5
    return 10 * np.log10(np.maximum(amin**2, rms**2)) - 10 * np.log10(np.maximum(amin**2, reference**2))


def trim(y, top_db, frame_length, hop_length, dtype=np.float64):
    non_silent = np.flatnonzero(frame_db(y, frame_length, hop_length, dtype) > -top_db)
    start = int(non_silent[0] * hop_length)
    end = int(min(len(y), (non_silent[-1] + 1) * hop_length))
    return start, end


def main():
    cases = []
    specs = [
        ("clip:speech-0880.wav", 20, 2048, 512),
        ("clip:speech-0930.wav", 20, 2048, 512),
        ("clip:speech-0880.wav", 30, 1024, 256),
        ("clip:speech-0930.wav", 10, 2048, 512),
        ("clip:speech-0930.wav", 40, 1001, 300),
        ("tone-burst", 20, 2048, 512),
        ("tone-burst", 60, 2048, 512),
        ("decay", 20, 2048, 512),
        ("decay", 40, 1001, 300),
        ("short", 20, 2048, 512),
    ]
    for signal, top_db, frame_length, hop_length in specs:
        y = read_clip(signal[5:]) if signal.startswith("clip:") else synthetic(signal)
        start, end = trim(y, top_db, frame_length, hop_length)
        # librosa runs in the input's dtype (float32): the decision must not depend on it.
        assert (start, end) == trim(y, top_db, frame_length, hop_length, np.float32), signal
        case = {"signal": signal, "topDb": top_db, "frameLength": frame_length, "hopLength": hop_length,
                "length": len(y), "start": start, "end": end}
        if signal.startswith("clip:") and top_db == 20:
            case["frameDb"] = [round(float(v), 3) for v in frame_db(y, frame_length, hop_length, np.float64)]
        cases.append(case)
    with open(f"{FIXTURES}/trim.golden.json", "w") as out:
        json.dump({"generator": "tools/reference/audio_trim_reference.py", "cases": cases}, out)
        out.write("\n")
    for case in cases:
        print(case["signal"], case["topDb"], case["frameLength"], case["hopLength"], case["length"], case["start"], case["end"])


if __name__ == "__main__":
    main()
