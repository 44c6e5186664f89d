/** Ask an image: the answer streams in; follow-ups reuse the upload (`image_id`) and send the history. */
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useRef, useState } from 'react';
import { streamEvents } from '../../api/client.ts';
import type { AskDone, ChatTurn, DeltaEvent, OcrEvent, UploadEvent } from '../../api/types.ts';
import { ErrorMessage, type Failure } from '../../components/ErrorMessage.tsx';
import { Thinking } from '../../components/Thinking.tsx';
import { checkImageFile, checkText, MAX_QUESTION_CHARS } from '../../forms/validation.ts';
import { useI18n } from '../../i18n/context.tsx';
import { ImageDrop } from './ImageDrop.tsx';

type OcrMode = 'auto' | 'on' | 'off';

/** A turn as shown: an answer may come with the model's thinking (never sent back as history). */
interface ShownTurn extends ChatTurn {
  reasoning?: string;
}

interface ChosenImage {
  file: File;
  previewUrl: string;
  imageId?: string;
}

export function AskPage({ active }: { active: boolean }) {
  const { t } = useI18n();
  const [image, setImage] = useState<ChosenImage>();
  const [turns, setTurns] = useState<ShownTurn[]>([]);
  const [pending, setPending] = useState<{ question: string; answer: string; reasoning: string }>();
  const [ocr, setOcr] = useState<OcrEvent>();
  const [ocrMode, setOcrMode] = useState<OcrMode>('auto');
  const [question, setQuestion] = useState('');
  const [failure, setFailure] = useState<Failure>();
  const abort = useRef<AbortController>(undefined);
  const busy = pending !== undefined;

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => () => (image ? URL.revokeObjectURL(image.previewUrl) : undefined), [image]);

  const chooseFile = useCallback((file: File) => {
    const problem = checkImageFile(file);
    if (problem) {
      setFailure(problem);
      return;
    }
    setFailure(undefined);
    setImage({ file, previewUrl: URL.createObjectURL(file) });
    setTurns([]);
    setOcr(undefined);
  }, []);

  const ask = async (event?: FormEvent) => {
    event?.preventDefault();
    if (busy) return;
    if (!image) return setFailure({ key: 'error.noImage' });
    const problem = checkText(question, 'error.emptyQuestion', MAX_QUESTION_CHARS);
    if (problem) return setFailure(problem);
    setFailure(undefined);
    const asked = question.trim();
    const form = new FormData();
    if (image.imageId) form.append('image_id', image.imageId);
    else form.append('image', image.file, image.file.name);
    form.append('question', asked);
    if (turns.length > 0) form.append('history', JSON.stringify(turns.map(({ role, content }) => ({ role, content }))));
    form.append('ocr', ocrMode);
    const controller = new AbortController();
    abort.current = controller;
    setPending({ question: asked, answer: '', reasoning: '' });
    setQuestion('');
    try {
      const done = (await streamEvents(
        'api/ask',
        { method: 'POST', body: form, signal: controller.signal },
        (type, data) => {
          if (type === 'upload') {
            const { image_id, image_url } = data as UploadEvent;
            // The server stores HEIC and TIFF as PNG: show that where the browser cannot show the file.
            const preview = unviewable(image.file) ? { previewUrl: image_url } : {};
            setImage((current) =>
              current && current.file === image.file ? { ...current, imageId: image_id, ...preview } : current,
            );
          } else if (type === 'ocr') {
            setOcr(data as OcrEvent);
          } else if (type === 'delta') {
            const { text } = data as DeltaEvent;
            setPending((current) => current && { ...current, answer: current.answer + text });
          } else if (type === 'thinking') {
            const { text } = data as DeltaEvent;
            setPending((current) => current && { ...current, reasoning: current.reasoning + text });
          }
        },
      )) as AskDone;
      if (done.ocr) setOcr(done.ocr);
      setTurns((current) => [
        ...current,
        { role: 'user', content: asked },
        { role: 'assistant', content: done.answer, ...(done.reasoning ? { reasoning: done.reasoning } : {}) },
      ]);
    } catch (error) {
      setFailure(error as Failure);
      setQuestion((current) => current || asked); // let the user retry without retyping
    } finally {
      setPending(undefined);
      abort.current = undefined;
    }
  };

  const onQuestionKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void ask();
    }
  };

  const newConversation = () => {
    abort.current?.abort();
    setTurns([]);
    setOcr(undefined);
    setFailure(undefined);
  };

  const shownTurns: ShownTurn[] = pending
    ? [
        ...turns,
        { role: 'user', content: pending.question },
        { role: 'assistant', content: pending.answer, reasoning: pending.reasoning },
      ]
    : turns;

  return (
    <div className="page two-pane">
      <div className="pane">
        <h1>{t('ask.heading')}</h1>
        <ImageDrop active={active} previewUrl={image?.previewUrl} onFile={chooseFile} disabled={busy} />
        <form className="stack" onSubmit={ask}>
          <label className="field">
            <span className="field-label">{t('ask.question')}</span>
            <textarea
              id="ask-question"
              rows={2}
              value={question}
              onChange={(event) => setQuestion(event.target.value)}
              onKeyDown={onQuestionKey}
              placeholder={turns.length ? t('ask.followUpPlaceholder') : t('ask.questionPlaceholder')}
            />
          </label>
          <div className="row">
            <label className="field inline">
              <span className="field-label">{t('ask.ocrMode')}</span>
              <select value={ocrMode} onChange={(event) => setOcrMode(event.target.value as OcrMode)}>
                <option value="auto">{t('ask.ocr.auto')}</option>
                <option value="on">{t('ask.ocr.on')}</option>
                <option value="off">{t('ask.ocr.off')}</option>
              </select>
            </label>
            <span className="grow" />
            {busy ? (
              <button type="button" className="button-secondary" onClick={() => abort.current?.abort()}>
                {t('ask.stop')}
              </button>
            ) : (
              <button type="submit" id="ask-submit" className="button-primary">
                {t('ask.submit')}
              </button>
            )}
          </div>
        </form>
        <ErrorMessage failure={failure} onDismiss={() => setFailure(undefined)} />
      </div>
      <div className="pane conversation" aria-live="polite">
        {shownTurns.length === 0 && <p className="muted">{t('ask.empty')}</p>}
        {shownTurns.map((turn, index) => (
          <div
            // Turns only ever append, so the index is a stable key.
            // biome-ignore lint/suspicious/noArrayIndexKey: append-only list
            key={index}
            className={`bubble ${turn.role}`}
            data-testid={turn.role === 'assistant' ? 'answer' : 'question'}
          >
            <span className="bubble-who">{turn.role === 'user' ? t('ask.you') : t('ask.model')}</span>
            {turn.reasoning && (
              <Thinking text={turn.reasoning} active={busy && index === shownTurns.length - 1 && !turn.content} />
            )}
            <p>{turn.content || (busy && index === shownTurns.length - 1 ? <span className="typing">…</span> : '')}</p>
          </div>
        ))}
        {ocr?.used && (
          <details className="ocr" open data-testid="ocr">
            <summary>{t('ask.ocr')}</summary>
            <pre>{ocr.text}</pre>
          </details>
        )}
        {turns.length > 0 && !busy && (
          <button type="button" className="button-quiet" onClick={newConversation}>
            {t('ask.newConversation')}
          </button>
        )}
      </div>
    </div>
  );
}

/** Photos browsers do not display (iPhone HEIC, TIFF): previewed from the server's PNG once uploaded. */
function unviewable(file: File): boolean {
  return /^image\/(heic|heif|tiff)$/.test(file.type) || /\.(heic|heif|tiff?)$/i.test(file.name);
}
