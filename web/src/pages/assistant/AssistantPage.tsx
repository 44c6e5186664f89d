/**
 * Voice assistant: the seed's speech/text toggle; recording or a file for speech; a status line;
 * the answer as text and as audio that starts with the first finished sentence.
 */
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { streamEvents } from '../../api/client.ts';
import type { AssistantDone, DeltaEvent, SentenceAudioEvent, TranscriptEvent } from '../../api/types.ts';
import { ErrorMessage, type Failure } from '../../components/ErrorMessage.tsx';
import { Thinking } from '../../components/Thinking.tsx';
import { checkAudioFile, checkText, MAX_QUESTION_CHARS } from '../../forms/validation.ts';
import { useI18n } from '../../i18n/context.tsx';
import type { MessageKey } from '../../i18n/strings.ts';
import { SentencePlayer } from './sentence-player.ts';
import { type Recording, recordingSupported, useRecorder } from './use-recorder.ts';

type InputType = 'speech' | 'text';
/** Sent as `language` with speech; Chinese first, the seed's default. */
const SPOKEN_LANGUAGES = ['zh', 'en', 'auto'] as const;
type SpokenLanguage = (typeof SPOKEN_LANGUAGES)[number];
type Status = 'idle' | 'sending' | 'transcribing' | 'thinking' | 'answering' | 'speaking' | 'done';

interface AudioInput {
  blob: Blob;
  name: string;
  seconds?: number;
}

function extensionFor(type: string): string {
  if (type.includes('ogg')) return 'ogg';
  if (type.includes('mp4')) return 'm4a';
  return 'webm';
}

export function AssistantPage() {
  const { t } = useI18n();
  const [inputType, setInputType] = useState<InputType>('speech');
  const [audio, setAudio] = useState<AudioInput>();
  const [spokenLanguage, setSpokenLanguage] = useState<SpokenLanguage>('zh');
  const [text, setText] = useState('');
  const [status, setStatus] = useState<Status>('idle');
  const [transcript, setTranscript] = useState<string>();
  const [answer, setAnswer] = useState('');
  const [reasoning, setReasoning] = useState('');
  const [fullAudioUrl, setFullAudioUrl] = useState<string>();
  const [sentenceCount, setSentenceCount] = useState(0);
  const [failure, setFailure] = useState<Failure>();
  const abort = useRef<AbortController>(undefined);
  const audioElement = useRef<HTMLAudioElement>(null);
  const player = useRef<SentencePlayer>(undefined);
  const busy = status !== 'idle' && status !== 'done';

  useEffect(() => {
    if (!audioElement.current) return;
    const created = new SentencePlayer(audioElement.current);
    player.current = created;
    return () => {
      created.dispose();
      abort.current?.abort();
    };
  }, []);

  const onRecorded = useCallback((recording: Recording) => {
    const name = `recording.${extensionFor(recording.blob.type)}`;
    setAudio({ blob: recording.blob, name, seconds: recording.seconds });
  }, []);
  const onRecorderError = useCallback(
    (error: unknown) =>
      setFailure({
        key: 'error.microphone',
        params: { message: error instanceof Error ? error.message : String(error) },
      }),
    [],
  );
  const recorder = useRecorder(onRecorded, onRecorderError);

  const chooseFile = (file: File) => {
    const problem = checkAudioFile(file);
    if (problem) return setFailure(problem);
    setFailure(undefined);
    setAudio({ blob: file, name: file.name });
  };

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const form = new FormData();
    form.append('input_type', inputType);
    if (inputType === 'speech') {
      if (!audio) return setFailure({ key: 'error.noAudio' });
      form.append('audio', audio.blob, audio.name);
      form.append('language', spokenLanguage);
    } else {
      const problem = checkText(text, 'error.emptyText', MAX_QUESTION_CHARS);
      if (problem) return setFailure(problem);
      form.append('text', text.trim());
    }
    setFailure(undefined);
    setTranscript(undefined);
    setAnswer('');
    setReasoning('');
    setFullAudioUrl(undefined);
    setSentenceCount(0);
    player.current?.clear();
    setStatus(inputType === 'speech' ? 'transcribing' : 'sending');
    const controller = new AbortController();
    abort.current = controller;
    try {
      const done = (await streamEvents(
        'api/assistant',
        { method: 'POST', body: form, signal: controller.signal },
        (type, data) => {
          if (type === 'transcript') {
            setTranscript((data as TranscriptEvent).text);
            setStatus('answering');
          } else if (type === 'thinking') {
            setReasoning((current) => current + (data as DeltaEvent).text);
            setStatus('thinking');
          } else if (type === 'delta') {
            setAnswer((current) => current + (data as DeltaEvent).text);
            setStatus((current) => (current === 'speaking' ? current : 'answering'));
          } else if (type === 'audio') {
            player.current?.enqueue((data as SentenceAudioEvent).url);
            setSentenceCount((count) => count + 1);
            setStatus('speaking');
          }
        },
      )) as AssistantDone;
      setAnswer(done.answer);
      setReasoning(done.reasoning ?? '');
      if (done.transcript) setTranscript(done.transcript);
      setFullAudioUrl(done.audio_url);
      setStatus('done');
    } catch (error) {
      setFailure(error as Failure);
      setStatus('idle');
    } finally {
      abort.current = undefined;
    }
  };

  const statusKey = `assistant.status.${status}` as MessageKey;

  return (
    <div className="page two-pane">
      <form className="pane stack" onSubmit={send}>
        <h1>{t('assistant.heading')}</h1>
        <fieldset className="segmented" disabled={busy}>
          <legend className="field-label">{t('assistant.inputType')}</legend>
          {(['speech', 'text'] as const).map((type) => (
            <label key={type} className={inputType === type ? 'selected' : ''}>
              <input
                type="radio"
                name="input-type"
                value={type}
                checked={inputType === type}
                onChange={() => setInputType(type)}
              />
              {t(type === 'speech' ? 'assistant.speech' : 'assistant.text')}
            </label>
          ))}
        </fieldset>
        {inputType === 'speech' ? (
          <div className="stack" data-testid="speech-input">
            <div className="row wrap">
              {recorder.recording ? (
                <button type="button" id="assistant-stop" className="button-danger" onClick={recorder.stop}>
                  <span className="dot" aria-hidden="true" /> {t('assistant.stopRecording')}
                </button>
              ) : (
                <button
                  type="button"
                  id="assistant-record"
                  className="button-secondary"
                  disabled={busy || !recordingSupported()}
                  onClick={() => {
                    setFailure(undefined);
                    void recorder.start();
                  }}
                >
                  <span className="dot" aria-hidden="true" /> {t('assistant.record')}
                </button>
              )}
              <label className="file-button">
                <span>{t('assistant.upload')}</span>
                <input
                  id="assistant-file"
                  type="file"
                  accept="audio/*,.webm,.wav,.mp3,.ogg,.flac,.m4a"
                  disabled={busy}
                  onChange={(event) => {
                    const file = event.target.files?.[0];
                    if (file) chooseFile(file);
                    event.target.value = '';
                  }}
                />
              </label>
            </div>
            <label className="field">
              <span className="field-label">{t('assistant.spokenLanguage')}</span>
              <select
                id="assistant-language"
                value={spokenLanguage}
                disabled={busy}
                onChange={(event) => setSpokenLanguage(event.target.value as SpokenLanguage)}
              >
                {SPOKEN_LANGUAGES.map((language) => (
                  <option key={language} value={language}>
                    {t(`assistant.spokenLanguage.${language}`)}
                  </option>
                ))}
              </select>
            </label>
            {!recordingSupported() && <p className="muted">{t('error.noMicrophone')}</p>}
            <p className="muted" data-testid="audio-chosen">
              {recorder.recording
                ? t('assistant.recording', { seconds: recorder.seconds.toFixed(1) })
                : audio &&
                  (audio.seconds !== undefined
                    ? t('assistant.recorded', { seconds: audio.seconds.toFixed(1) })
                    : t('assistant.chosenFile', { name: audio.name }))}
            </p>
          </div>
        ) : (
          <label className="field" data-testid="text-input">
            <span className="field-label">{t('assistant.textLabel')}</span>
            <textarea
              id="assistant-text"
              rows={3}
              value={text}
              placeholder={t('assistant.textPlaceholder')}
              onChange={(event) => setText(event.target.value)}
            />
          </label>
        )}
        <div className="row">
          <p className="status" role="status" data-testid="status">
            {t(statusKey)}
          </p>
          <span className="grow" />
          {busy ? (
            <button type="button" className="button-secondary" onClick={() => abort.current?.abort()}>
              {t('ask.stop')}
            </button>
          ) : (
            <button type="submit" id="assistant-submit" className="button-primary" disabled={recorder.recording}>
              {t('assistant.submit')}
            </button>
          )}
        </div>
        <ErrorMessage failure={failure} onDismiss={() => setFailure(undefined)} />
      </form>
      <section className="pane stack" aria-live="polite">
        {transcript === undefined && !answer && !busy && <p className="muted">{t('assistant.empty')}</p>}
        {transcript !== undefined && (
          <div className="bubble user">
            <span className="bubble-who">{t('assistant.transcript')}</span>
            <p data-testid="transcript">{transcript}</p>
          </div>
        )}
        {(answer || busy) && (
          <div className="bubble assistant">
            <span className="bubble-who">{t('assistant.answer')}</span>
            {reasoning && <Thinking text={reasoning} active={busy && !answer} />}
            <p data-testid="assistant-answer">{answer || <span className="typing">…</span>}</p>
          </div>
        )}
        <div className="field" hidden={sentenceCount === 0}>
          <span className="field-label">{t('assistant.answerAudio')}</span>
          {/* biome-ignore lint/a11y/useMediaCaption: spoken answer; its text is shown above */}
          <audio ref={audioElement} controls data-testid="sentence-audio" />
        </div>
        {fullAudioUrl && (
          <div className="field">
            <span className="field-label">{t('assistant.fullAudio')}</span>
            {/* biome-ignore lint/a11y/useMediaCaption: spoken answer; its text is shown above */}
            <audio controls src={fullAudioUrl} preload="auto" data-testid="full-audio" />
          </div>
        )}
      </section>
    </div>
  );
}
