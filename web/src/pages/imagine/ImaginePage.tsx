/** Imagine: the seed's text-to-image form (or image to image from a picture), a progress bar per step, and the gallery. */
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { getJson, streamEvents } from '../../api/client.ts';
import type { GeneratedImage, ImagineDone, ProgressEvent, StyleInfo } from '../../api/types.ts';
import { ErrorMessage, type Failure } from '../../components/ErrorMessage.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import {
  checkImageFile,
  checkImagineForm,
  DEFAULT_NEGATIVE_PROMPT,
  IMAGE_SIZES,
  IMAGINE_FORM_DEFAULTS,
  type ImagineFormValues,
  PICTURE_SIZE,
  type Problem,
} from '../../forms/validation.ts';
import { useI18n } from '../../i18n/context.tsx';
import { Gallery, type GalleryImage } from './Gallery.tsx';
import { StartImage } from './StartImage.tsx';
import { FALLBACK_STYLES, styleLabel } from './styles.ts';

type Problems = Partial<Record<keyof ImagineFormValues, Problem>>;

export function ImaginePage() {
  const { t, language } = useI18n();
  const [styles, setStyles] = useState<StyleInfo[]>(FALLBACK_STYLES);
  const [values, setValues] = useState<ImagineFormValues>({
    prompt: '',
    style: 'photorealistic',
    negativePrompt: DEFAULT_NEGATIVE_PROMPT,
    ...IMAGINE_FORM_DEFAULTS,
  });
  const [problems, setProblems] = useState<Problems>({});
  const [progress, setProgress] = useState<{ step: number; total: number }>();
  const [images, setImages] = useState<GalleryImage[]>([]);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [failure, setFailure] = useState<Failure>();
  const [startImage, setStartImage] = useState<File>();
  const [startMask, setStartMask] = useState<Blob>();
  const abort = useRef<AbortController>(undefined);
  const busy = progress !== undefined;

  useEffect(() => {
    const controller = new AbortController();
    getJson<{ styles: StyleInfo[] }>('api/styles', { signal: controller.signal })
      .then((answer) => {
        if (Array.isArray(answer.styles) && answer.styles.length > 0) setStyles(answer.styles);
      })
      .catch(() => undefined); // the built-in list stays
    return () => {
      controller.abort();
      abort.current?.abort();
    };
  }, []);

  const set = <K extends keyof ImagineFormValues>(field: K, value: ImagineFormValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    setProblems((current) => ({ ...current, [field]: undefined }));
  };

  // Stable: a new callback would clear the painting. Inpainting redraws the painted part whole
  // unless the strength was moved from its default.
  const chooseMask = useCallback((mask: Blob | undefined) => {
    setStartMask(mask);
    if (mask) {
      setValues((current) =>
        current.strength === IMAGINE_FORM_DEFAULTS.strength ? { ...current, strength: 1 } : current,
      );
    }
  }, []);

  const chooseStartImage = (file: File | undefined) => {
    const problem = file && checkImageFile(file);
    if (problem) return setFailure(problem);
    setFailure(undefined);
    setStartImage(file);
    // A picture keeps its own shape unless a size is picked; without one, the shape choice goes.
    if (file && !startImage) set('sizeIndex', PICTURE_SIZE);
    if (!file && values.sizeIndex === PICTURE_SIZE) set('sizeIndex', 0);
  };

  const generate = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const checked = checkImagineForm(values, startImage !== undefined);
    if (!checked.ok) return setProblems(checked.problems);
    setProblems({});
    setFailure(undefined);
    setWarnings([]);
    const controller = new AbortController();
    abort.current = controller;
    setProgress({ step: 0, total: checked.body.steps });
    const batch: GeneratedImage[] = [];
    try {
      const init: RequestInit = { method: 'POST', signal: controller.signal };
      if (startImage) {
        // The same fields as a form, with the picture (the browser sets the form's content type).
        const form = new FormData();
        for (const [name, value] of Object.entries(checked.body)) form.set(name, String(value));
        form.set('image', startImage, startImage.name);
        if (startMask) form.set('mask', startMask, 'mask.png');
        init.body = form;
      } else {
        init.headers = { 'content-type': 'application/json' };
        init.body = JSON.stringify(checked.body);
      }
      const done = (await streamEvents('api/imagine', init, (type, data) => {
        if (type === 'progress') {
          const { step, total_steps } = data as ProgressEvent;
          setProgress({ step, total: total_steps });
        } else if (type === 'image') {
          batch.push(data as GeneratedImage);
          // Newest batch first, its images in their own order.
          const shown = [...batch];
          const urls = new Set(shown.map((image) => image.url));
          setImages((current) => [...shown, ...current.filter((other) => !urls.has(other.url))]);
        }
      })) as ImagineDone;
      // The scheduler arrives with `done`: attach it to this batch's images.
      const urls = new Set(batch.map((image) => image.url));
      setImages((current) =>
        current.map((image) => (urls.has(image.url) ? { ...image, scheduler: done.scheduler } : image)),
      );
      setWarnings(done.warnings ?? []);
    } catch (error) {
      setFailure(error as Failure);
    } finally {
      setProgress(undefined);
      abort.current = undefined;
    }
  };

  const fieldError = (field: keyof ImagineFormValues) => {
    const problem = problems[field];
    return problem ? (
      <span className="field-error" id={`imagine-${field}-error`}>
        {t(problem.key, problem.params)}
      </span>
    ) : null;
  };
  const invalid = (field: keyof ImagineFormValues) =>
    problems[field] ? { 'aria-invalid': true, 'aria-describedby': `imagine-${field}-error` } : {};

  return (
    <div className="page two-pane">
      <form className="pane stack" onSubmit={generate} noValidate>
        <h1>{t('imagine.heading')}</h1>
        <label className="field">
          <span className="field-label">{t('imagine.prompt')}</span>
          <textarea
            id="imagine-prompt"
            rows={3}
            value={values.prompt}
            placeholder={t('imagine.promptPlaceholder')}
            onChange={(event) => set('prompt', event.target.value)}
            {...invalid('prompt')}
          />
          {fieldError('prompt')}
        </label>
        <div className="grid-2">
          <label className="field">
            <span className="field-label">{t('imagine.style')}</span>
            <select id="imagine-style" value={values.style} onChange={(event) => set('style', event.target.value)}>
              <option value="">{t('imagine.style.none')}</option>
              {styles.map((style) => (
                <option key={style.name} value={style.name}>
                  {styleLabel(style, language)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{t('imagine.size')}</span>
            <select
              id="imagine-size"
              value={values.sizeIndex}
              onChange={(event) => set('sizeIndex', Number(event.target.value))}
            >
              {startImage && <option value={PICTURE_SIZE}>{t('imagine.size.picture')}</option>}
              {IMAGE_SIZES.map((size, index) => (
                <option key={`${size.width}x${size.height}`} value={index}>
                  {size.width} × {size.height}
                </option>
              ))}
            </select>
          </label>
        </div>
        <StartImage
          file={startImage}
          strength={values.strength}
          disabled={busy}
          onFile={chooseStartImage}
          onStrength={(strength) => set('strength', strength)}
          onMask={chooseMask}
        />
        <label className="field">
          <span className="field-label">
            {t('imagine.count')}: <output>{values.count}</output>
          </span>
          <input
            id="imagine-count"
            type="range"
            min={1}
            max={4}
            step={1}
            value={values.count}
            onChange={(event) => set('count', Number(event.target.value))}
          />
        </label>
        <details className="advanced">
          <summary>{t('imagine.advanced')}</summary>
          <div className="grid-3">
            <label className="field">
              <span className="field-label">{t('imagine.steps')}</span>
              <input
                id="imagine-steps"
                inputMode="numeric"
                value={values.steps}
                onChange={(event) => set('steps', event.target.value)}
                {...invalid('steps')}
              />
              {fieldError('steps')}
            </label>
            <label className="field">
              <span className="field-label">{t('imagine.guidance')}</span>
              <input
                id="imagine-guidance"
                inputMode="decimal"
                value={values.guidance}
                onChange={(event) => set('guidance', event.target.value)}
                {...invalid('guidance')}
              />
              {fieldError('guidance')}
            </label>
            <label className="field">
              <span className="field-label">{t('imagine.seed')}</span>
              <input
                id="imagine-seed"
                inputMode="numeric"
                value={values.seed}
                placeholder={t('imagine.seedPlaceholder')}
                onChange={(event) => set('seed', event.target.value)}
                {...invalid('seed')}
              />
              {fieldError('seed')}
            </label>
          </div>
          <label className="field">
            <span className="field-label">{t('imagine.negative')}</span>
            <textarea
              id="imagine-negative"
              rows={2}
              value={values.negativePrompt}
              onChange={(event) => set('negativePrompt', event.target.value)}
            />
          </label>
        </details>
        <div className="row">
          <span className="grow" />
          {busy ? (
            <button type="button" className="button-secondary" onClick={() => abort.current?.abort()}>
              {t('imagine.cancel')}
            </button>
          ) : (
            <button type="submit" id="imagine-submit" className="button-primary">
              {t('imagine.submit')}
            </button>
          )}
        </div>
        {progress && (
          <ProgressBar
            value={progress.step}
            max={progress.total}
            label={t('imagine.progress', { step: progress.step, total: progress.total })}
          />
        )}
        <ErrorMessage failure={failure} onDismiss={() => setFailure(undefined)} />
        {warnings.map((warning) => (
          <p key={warning} className="note">
            {t('imagine.warning', { message: warning })}
          </p>
        ))}
      </form>
      <section className="pane" aria-label={t('imagine.gallery')}>
        <h2 className="visually-hidden">{t('imagine.gallery')}</h2>
        <Gallery images={images} />
      </section>
    </div>
  );
}
