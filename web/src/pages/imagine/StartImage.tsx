/** Image to image on the Imagine page: the picture to start from, its preview, and how much of it to redraw. */
import { useEffect, useRef, useState } from 'react';
import { ImageFileInput } from '../../components/ImageFileInput.tsx';
import { useI18n } from '../../i18n/context.tsx';
import { MaskPainter } from './MaskPainter.tsx';

interface StartImageProps {
  file: File | undefined;
  strength: number;
  disabled: boolean;
  onFile: (file: File | undefined) => void;
  onStrength: (strength: number) => void;
  /** Must keep its identity across renders (a state setter): a new one clears the painting. */
  onMask: (mask: Blob | undefined) => void;
}

export function StartImage({ file, strength, disabled, onFile, onStrength, onMask }: StartImageProps) {
  const { t } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [previewUrl, setPreviewUrl] = useState<string>();

  useEffect(() => {
    if (!file) return setPreviewUrl(undefined);
    const url = URL.createObjectURL(file);
    setPreviewUrl(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  return (
    <fieldset className="field start-image">
      <legend className="field-label">{t('imagine.startImage')}</legend>
      <div className="row wrap">
        {previewUrl && (
          <img
            className="start-image-preview"
            src={previewUrl}
            alt={t('imagine.startImage')}
            data-testid="start-image"
          />
        )}
        <button type="button" className="button-secondary" disabled={disabled} onClick={() => input.current?.click()}>
          {file ? t('ask.replace') : t('ask.pick')}
        </button>
        {file && (
          <button type="button" className="button-secondary" disabled={disabled} onClick={() => onFile(undefined)}>
            {t('imagine.removeStartImage')}
          </button>
        )}
      </div>
      <ImageFileInput id="imagine-start-image" inputRef={input} onFile={onFile} />
      {file && (
        <label className="field">
          <span className="field-label">
            {t('imagine.strength')}: <output>{strength.toFixed(2)}</output>
            <span className="hint"> · {t('imagine.strengthHint')}</span>
          </span>
          <input
            id="imagine-strength"
            type="range"
            min={0.05}
            max={1}
            step={0.05}
            value={strength}
            disabled={disabled}
            onChange={(event) => onStrength(Number(event.target.value))}
          />
        </label>
      )}
      {file && <p className="hint">{t('imagine.startImageHint')}</p>}
      {previewUrl && <MaskPainter imageUrl={previewUrl} disabled={disabled} onMask={onMask} />}
    </fieldset>
  );
}
