/** A labelled progress bar; `value` of `max`, or indeterminate when max is 0. */
export function ProgressBar({ value, max, label }: { value: number; max: number; label: string }) {
  const percent = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : undefined;
  return (
    <div className="progress" data-testid="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max || undefined}
        aria-valuenow={max ? value : undefined}
      >
        <div
          className={percent === undefined ? 'progress-fill indeterminate' : 'progress-fill'}
          style={{ width: `${percent ?? 30}%` }}
        />
      </div>
      <span className="progress-label">{label}</span>
    </div>
  );
}
