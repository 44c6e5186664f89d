/**
 * A reasoning model's thinking, shown apart from its answer: open while the model thinks (so a
 * long think is visibly work, not a hang), folded away once the answer starts unless the reader
 * opened or closed it themselves.
 */
import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n/context.tsx';

export function Thinking({ text, active }: { text: string; active: boolean }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(active);
  const chosenByReader = useRef(false);

  useEffect(() => {
    if (!chosenByReader.current) setOpen(active);
  }, [active]);

  return (
    <details
      className="thinking"
      open={open}
      data-testid="thinking"
      onToggle={(event) => {
        // React's own changes to `open` fire this too; only a change it did not make is the reader's.
        const now = event.currentTarget.open;
        if (now === open) return;
        chosenByReader.current = true;
        setOpen(now);
      }}
    >
      <summary>{active ? t('thinking.active') : t('thinking.done')}</summary>
      <p>{text}</p>
    </details>
  );
}
