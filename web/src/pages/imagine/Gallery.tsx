/** Generated images in two columns, each with a download link and where it came from. */
import type { GeneratedImage } from '../../api/types.ts';
import { useI18n } from '../../i18n/context.tsx';
import type { MessageKey } from '../../i18n/strings.ts';

export interface GalleryImage extends GeneratedImage {
  scheduler?: string;
}

const PROVENANCE_FIELDS: [string, MessageKey][] = [
  ['prompt', 'imagine.field.prompt'],
  ['seed', 'imagine.field.seed'],
  ['steps', 'imagine.field.steps'],
  ['guidance', 'imagine.field.guidance'],
  ['scheduler', 'imagine.field.scheduler'],
  ['model', 'imagine.field.model'],
  ['size', 'imagine.field.size'],
  ['strength', 'imagine.strength'],
];

function provenanceOf(image: GalleryImage): Record<string, string> {
  return {
    seed: String(image.seed),
    size: `${image.width}×${image.height}`,
    ...(image.scheduler ? { scheduler: image.scheduler } : {}),
    ...image.provenance,
  };
}

function fileNameOf(url: string): string {
  return url.split('/').pop() || 'image.png';
}

export function Gallery({ images }: { images: GalleryImage[] }) {
  const { t } = useI18n();
  if (images.length === 0) return <p className="muted gallery-empty">{t('imagine.empty')}</p>;
  return (
    <ul className="gallery" data-testid="gallery">
      {images.map((image) => {
        const provenance = provenanceOf(image);
        return (
          <li key={image.url} className="card" data-testid="gallery-item">
            <img
              src={image.url}
              alt={provenance.prompt ?? ''}
              width={image.width}
              height={image.height}
              loading="lazy"
            />
            <div className="card-body">
              <a className="button-secondary small" href={image.url} download={fileNameOf(image.url)}>
                {t('imagine.download')}
              </a>
              <dl className="provenance" aria-label={t('imagine.provenance')}>
                {PROVENANCE_FIELDS.filter(([field]) => provenance[field] !== undefined).map(([field, key]) => (
                  <div key={field} className="provenance-row">
                    <dt>{t(key)}</dt>
                    <dd data-field={field}>{provenance[field]}</dd>
                  </div>
                ))}
              </dl>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
