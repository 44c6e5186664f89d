/** A failure in words: the server's one-line message, a lost connection, or a local check. */
import { ApiError } from '../api/client.ts';
import type { Problem } from '../forms/validation.ts';
import { useI18n } from '../i18n/context.tsx';
import type { Translate } from '../i18n/i18n.ts';

export type Failure = Problem | ApiError | Error | string;

/** The text to show, or undefined for a cancel the user asked for. */
export function describeFailure(failure: Failure, t: Translate): string | undefined {
  if (typeof failure === 'string') return failure;
  if (failure instanceof ApiError) {
    if (failure.kind === 'aborted') return undefined;
    if (failure.kind === 'connection') return t('error.connection');
    return t('error.server', { message: failure.message });
  }
  if (failure instanceof Error) return failure.message;
  return t(failure.key, failure.params);
}

export function ErrorMessage({ failure, onDismiss }: { failure: Failure | undefined; onDismiss?: () => void }) {
  const { t } = useI18n();
  const text = failure === undefined ? undefined : describeFailure(failure, t);
  if (!text) return null;
  return (
    <div className="error" role="alert" data-testid="error">
      <span className="error-text">{text}</span>
      {onDismiss && (
        <button type="button" className="button-quiet" onClick={onDismiss}>
          {t('error.dismiss')}
        </button>
      )}
    </div>
  );
}
