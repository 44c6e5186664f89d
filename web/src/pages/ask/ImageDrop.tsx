/** Where the image comes from: drop it, paste it (anywhere on the page while visible), or pick a file. */
import { type DragEvent, useEffect, useRef, useState } from 'react';
import { ImageFileInput } from '../../components/ImageFileInput.tsx';
import { useI18n } from '../../i18n/context.tsx';

interface ImageDropProps {
  active: boolean;
  previewUrl: string | undefined;
  onFile: (file: File) => void;
  disabled?: boolean;
}

export function ImageDrop({ active, previewUrl, onFile, disabled }: ImageDropProps) {
  const { t } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    if (!active || disabled) return;
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])][0];
      if (file) {
        event.preventDefault();
        onFile(file);
      }
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [active, disabled, onFile]);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file && !disabled) onFile(file);
  };

  return (
    <section
      className={`drop${dragging ? ' dragging' : ''}${previewUrl ? ' has-image' : ''}`}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      aria-label={t('ask.preview')}
    >
      {previewUrl && <img className="drop-preview" src={previewUrl} alt={t('ask.preview')} data-testid="ask-preview" />}
      <div className="drop-hint">
        {previewUrl ? null : <span>{t('ask.drop')} </span>}
        <button type="button" className="button-secondary" disabled={disabled} onClick={() => input.current?.click()}>
          {previewUrl ? t('ask.replace') : t('ask.pick')}
        </button>
      </div>
      <ImageFileInput id="ask-image" inputRef={input} onFile={onFile} />
    </section>
  );
}
