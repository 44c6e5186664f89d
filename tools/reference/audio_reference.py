#!/usr/bin/python3
"""Reference features for mmkit's audio layer (mel spectrogram, dB, Whisper log-mel), as golden files.

Independent of mmkit's code: numpy + torch.stft + torchaudio, following librosa's definitions
(librosa itself is not installed here) and Whisper's own algorithm written in torch.

Run from the repository root with Debian's python (needs python3-torch, python3-torchaudio,
python3-numpy and ffmpeg), after tools/reference/audio_encode.sh has made the fixtures:

    /usr/bin/python3 tools/reference/audio_reference.py

It reads src/preprocess/audio/fixtures/speech-*.{wav,mp3} (LibriVox speech, see the README there) and
writes float32 goldens to src/preprocess/audio/fixtures/golden/ (listed in that README).
"""

import os
import subprocess
import sys
import wave

import numpy as np
import torch
import torchaudio

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "src", "preprocess", "audio", "fixtures")
GOLDEN = os.path.join(FIXTURES, "golden")


# ---------------------------------------------------------------- librosa's definitions, written out


def hz_to_mel(f):
    """Slaney mel scale (librosa.hz_to_mel, htk=False)."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, mels)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    """librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney')."""
    fmax = sr / 2 if fmax is None else fmax
    fftfreqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    weights = np.zeros((n_mels, n_fft // 2 + 1))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights


def check_filters_against_torchaudio():
    for sr, n_fft, n_mels, fmax in [(16000, 2048, 80, 8000.0), (16000, 400, 80, 8000.0), (16000, 400, 128, 8000.0)]:
        ours = mel_filters(sr, n_fft, n_mels, 0.0, fmax)
        theirs = torchaudio.functional.melscale_fbanks(
            n_fft // 2 + 1, 0.0, fmax, n_mels, sr, norm="slaney", mel_scale="slaney"
        ).T.double().numpy()
        difference = np.abs(ours - theirs).max() / np.abs(theirs).max()
        print(f"slaney filters sr={sr} n_fft={n_fft} n_mels={n_mels}: max relative difference vs torchaudio {difference:.2e}")
        assert difference < 1e-5, "our Slaney filter bank disagrees with torchaudio's"


def mel_power(y, sr=16000, n_fft=2048, hop=512, n_mels=80, fmax=8000.0):
    """librosa.feature.melspectrogram defaults: periodic Hann, centred, zero padding, power 2."""
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    stft = torch.stft(
        torch.from_numpy(y.astype(np.float64)), n_fft, hop, window=window, center=True, pad_mode="constant",
        return_complex=True,
    )
    power = stft.abs().numpy() ** 2
    return mel_filters(sr, n_fft, n_mels, 0.0, fmax) @ power


def power_to_db(s, amin=1e-10, top_db=80.0):
    """librosa.power_to_db(S, ref=np.max, amin, top_db)."""
    log_spec = 10.0 * np.log10(np.maximum(amin, s)) - 10.0 * np.log10(np.maximum(amin, s.max()))
    if top_db is not None:
        log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def trim(y, top_db=20.0, frame_length=2048, hop_length=512):
    """librosa.effects.trim: RMS of centred zero-padded frames, dB relative to the max, frames → samples."""
    padded = np.pad(y.astype(np.float64), frame_length // 2)
    n_frames = 1 + (len(padded) - frame_length) // hop_length
    mse = np.array([np.mean(padded[i * hop_length : i * hop_length + frame_length] ** 2) for i in range(n_frames)])
    db = power_to_db(mse, top_db=None)
    nonzero = np.flatnonzero(db > -top_db)
    if nonzero.size == 0:
        return y[:0]
    start = nonzero[0] * hop_length
    end = min(len(y), (nonzero[-1] + 1) * hop_length)
    return y[start:end]


def whisper_log_mel(audio, n_mels=80):
    """openai/whisper audio.log_mel_spectrogram after pad_or_trim, in torch float32 as Whisper runs it."""
    audio = torch.from_numpy(audio.astype(np.float32))
    audio = torch.nn.functional.pad(audio, (0, max(0, 480000 - audio.shape[-1])))[:480000]
    window = torch.hann_window(400)
    stft = torch.stft(audio, 400, 160, window=window, return_complex=True)  # center=True, reflect
    magnitudes = stft[..., :-1].abs() ** 2
    filters = torch.from_numpy(mel_filters(16000, 400, n_mels, 0.0, 8000.0).astype(np.float32))
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).numpy()


# ---------------------------------------------------------------- files


def read_pcm16(path):
    with wave.open(path, "rb") as f:
        assert f.getsampwidth() == 2 and f.getnchannels() == 1
        return np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").astype(np.float32) / 32768.0, f.getframerate()


def decode_with_ffmpeg(path):
    """Every channel as float32 (ffmpeg's decoder, gapless MP3 trimming included), then the channel mean."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=channels,sample_rate",
         "-of", "csv=p=0", path], check=True, capture_output=True, text=True,
    ).stdout.strip().split(",")
    sample_rate, channels = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-"], check=True, capture_output=True).stdout
    samples = np.frombuffer(raw, dtype="<f4").reshape(-1, channels).mean(axis=1)
    return samples, sample_rate


def save(name, array):
    np.save(os.path.join(GOLDEN, name), np.ascontiguousarray(array, dtype=np.float32))
    print(f"  {name} {array.shape}")


def main():
    check_filters_against_torchaudio()
    os.makedirs(GOLDEN, exist_ok=True)
    print("goldens:")
    save("mel-filters-400-80.npy", mel_filters(16000, 400, 80, 0.0, 8000.0))

    for clip in ["speech-0880", "speech-0930"]:
        y, sr = read_pcm16(os.path.join(FIXTURES, f"{clip}.wav"))
        assert sr == 16000
        # Features of the raw 16 kHz samples (no trim).
        save(f"{clip}.mel-db.npy", power_to_db(mel_power(y)))
        # Whisper: only the frames that hold audio (+ a margin); the rest of the 3000 is the clamp floor.
        frames = len(y) // 160 + 20
        save(f"{clip}.whisper-80.npy", whisper_log_mel(y, 80)[:, :frames])
        if clip == "speech-0880":
            save(f"{clip}.whisper-128.npy", whisper_log_mel(y, 128)[:, :frames])
        # The whole pipeline on 16 kHz input: trim, mel, dB (padding to max frames is left to the test).
        save(f"pipeline-{clip}.wav.npy", power_to_db(mel_power(trim(y))))

    # Re-encoded copies: ffmpeg decode, channel mean, torchaudio's default resampler to 16 kHz.
    for name in ["speech-0880.mp3", "speech-0880-48k-s24.wav"]:
        samples, sr = decode_with_ffmpeg(os.path.join(FIXTURES, name))
        resampled = torchaudio.functional.resample(torch.from_numpy(samples.astype(np.float32)), sr, 16000).numpy()
        save(f"pipeline-{name}.npy", power_to_db(mel_power(trim(resampled))))
        save(f"pipeline-{name}.no-trim.npy", power_to_db(mel_power(resampled)))


if __name__ == "__main__":
    torch.set_num_threads(1)
    sys.exit(main())
