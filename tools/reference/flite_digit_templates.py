"""Spoken-digit templates from a different synthesiser (CMU Flite), for the espeak recognisability test
(src/models/providers/espeak/espeak-recognisable.test.ts): a template recogniser trained only on Flite's
voices must recognise the digits espeak-ng (WASM) speaks. Flite is called through ctypes on Debian's
libflite1 (the `flite` command itself is not needed).

Run from the repository root with Debian's Python (libflite1, python3-numpy, python3-torchaudio):
    /usr/bin/python3 tools/reference/flite_digit_templates.py
Writes src/models/providers/espeak/fixtures/flite-digits/{rms,kal16}-{zero..nine}.wav: 8 kHz mono
16-bit, leading and trailing silence removed.
"""
import ctypes
import os
import wave

import numpy as np
import torch
import torchaudio.functional as F

OUT = "src/models/providers/espeak/fixtures/flite-digits"
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
VOICES = ["rms", "kal16"]
RATE = 8000


class FliteWave(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_char_p),
        ("sample_rate", ctypes.c_int),
        ("num_samples", ctypes.c_int),
        ("num_channels", ctypes.c_int),
        ("samples", ctypes.POINTER(ctypes.c_short)),
    ]


def main():
    flite = ctypes.CDLL("libflite.so.1")
    flite.flite_init()
    flite.flite_text_to_wave.restype = ctypes.POINTER(FliteWave)
    flite.flite_text_to_wave.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    os.makedirs(OUT, exist_ok=True)
    for name in VOICES:
        register = getattr(ctypes.CDLL(f"libflite_cmu_us_{name}.so.1"), f"register_cmu_us_{name}")
        register.restype = ctypes.c_void_p
        register.argtypes = [ctypes.c_char_p]
        voice = register(None)
        for word in WORDS:
            spoken = flite.flite_text_to_wave(word.encode(), voice).contents
            samples = np.ctypeslib.as_array(spoken.samples, shape=(spoken.num_samples,)).astype(np.float32) / 32768
            resampled = F.resample(torch.from_numpy(samples), spoken.sample_rate, RATE).numpy()
            loud = np.nonzero(np.abs(resampled) >= 0.02)[0]
            trimmed = resampled[loud[0] : loud[-1] + 1]
            pcm = np.clip(np.round(trimmed * 32767), -32768, 32767).astype("<i2")
            with wave.open(f"{OUT}/{name}-{word}.wav", "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(RATE)
                out.writeframes(pcm.tobytes())


if __name__ == "__main__":
    main()
