/** Microphone recording with MediaRecorder (WebM/Opus where the browser has it). */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Recording {
  blob: Blob;
  seconds: number;
}

const PREFERRED_TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'];

export function recordingSupported(): boolean {
  return typeof MediaRecorder !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
}

export function useRecorder(onRecorded: (recording: Recording) => void, onError: (error: unknown) => void) {
  const [seconds, setSeconds] = useState<number>();
  const recorder = useRef<MediaRecorder>(undefined);
  const timer = useRef<ReturnType<typeof setInterval>>(undefined);

  const release = useCallback(() => {
    clearInterval(timer.current);
    for (const track of recorder.current?.stream.getTracks() ?? []) track.stop();
    recorder.current = undefined;
    setSeconds(undefined);
  }, []);

  useEffect(() => release, [release]);

  const start = useCallback(async () => {
    if (recorder.current) return;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const mimeType = PREFERRED_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
      const media = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
      const chunks: Blob[] = [];
      const started = performance.now();
      media.addEventListener('dataavailable', (event) => {
        if (event.data.size > 0) chunks.push(event.data);
      });
      media.addEventListener('stop', () => {
        const elapsed = (performance.now() - started) / 1000;
        release();
        onRecorded({ blob: new Blob(chunks, { type: media.mimeType || mimeType || 'audio/webm' }), seconds: elapsed });
      });
      recorder.current = media;
      media.start(250);
      setSeconds(0);
      timer.current = setInterval(() => setSeconds((performance.now() - started) / 1000), 200);
    } catch (error) {
      release();
      onError(error);
    }
  }, [onRecorded, onError, release]);

  const stop = useCallback(() => {
    if (recorder.current?.state === 'recording') recorder.current.stop();
  }, []);

  return { recording: seconds !== undefined, seconds: seconds ?? 0, start, stop };
}
