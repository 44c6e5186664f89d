#!/bin/sh
# Re-encodes the LibriVox speech fixture into every container/codec loadAudio must read, with
# Debian's ffmpeg (any recent ffmpeg works; the committed files were made with 5.1).
# Run from the repository root:  sh tools/reference/audio_encode.sh
# Outputs land in src/preprocess/audio/fixtures/ (each well under 150 KB).
set -eu
dir=src/preprocess/audio/fixtures
source="$dir/speech-0880.wav"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y -i "$source" -map_metadata -1 -fflags +bitexact "$@"; }

# MP3, 44.1 kHz stereo; the right channel at half amplitude so channel averaging is observable (mono = 0.75 × source).
ff -af 'pan=stereo|c0=c0|c1=0.5*c0' -ar 44100 -c:a libmp3lame -b:a 96k "$dir/speech-0880.mp3"
# 24-bit PCM at 48 kHz, 1 s from 0.5 s (3 s would be 430 KB).
ff -ss 0.5 -t 1 -ar 48000 -c:a pcm_s24le "$dir/speech-0880-48k-s24.wav"
# 8-bit unsigned PCM, 16 kHz, whole clip.
ff -c:a pcm_u8 "$dir/speech-0880-u8.wav"
# 32-bit float PCM, 16 kHz, first 2 s.
ff -t 2 -c:a pcm_f32le "$dir/speech-0880-f32.wav"
# FLAC, lossless, whole clip.
ff -c:a flac "$dir/speech-0880.flac"
# Ogg/Vorbis, Ogg/Opus, WebM/Opus (what browsers' MediaRecorder makes), M4A/AAC (index at the end: no faststart).
ff -c:a libvorbis -q:a 3 "$dir/speech-0880.ogg"
ff -c:a libopus -b:a 32k "$dir/speech-0880.opus"
ff -c:a libopus -b:a 32k -f webm "$dir/speech-0880.webm"
ff -c:a aac -b:a 64k "$dir/speech-0880.m4a"
ls -l "$dir"
# A WebM with a video stream and no audio, for the "contains no audio" error.
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i color=c=black:s=16x16:d=0.2 -map_metadata -1 \
  -fflags +bitexact -c:v libvpx -b:v 10k "$dir/no-audio.webm"
ls -l "$dir/no-audio.webm"
