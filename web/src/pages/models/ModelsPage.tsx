/** Models: what is in the cache, what is loaded now, pull with progress, remove. */
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { getJson, streamEvents } from '../../api/client.ts';
import type { InstalledModel, PullProgress, RunningModel } from '../../api/types.ts';
import { ErrorMessage, type Failure } from '../../components/ErrorMessage.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { formatBytes } from '../../forms/validation.ts';
import { useI18n } from '../../i18n/context.tsx';

const MODEL_ID = /^[\w.-]+\/[\w.-]+$/;

function seconds(milliseconds: number | null): string {
  return milliseconds === null || milliseconds === undefined
    ? '—'
    : `${Math.max(0, Math.round(milliseconds / 1000))} s`;
}

export function ModelsPage({ active }: { active: boolean }) {
  const { t } = useI18n();
  const [installed, setInstalled] = useState<InstalledModel[]>();
  const [running, setRunning] = useState<RunningModel[]>();
  const [pullId, setPullId] = useState('');
  const [pull, setPull] = useState<{ id: string; files: Record<string, PullProgress> }>();
  const [confirming, setConfirming] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [failure, setFailure] = useState<Failure>();
  const abort = useRef<AbortController>(undefined);

  const refresh = useCallback(async () => {
    try {
      const [models, ps] = await Promise.all([
        getJson<{ models: InstalledModel[] }>('api/models'),
        getJson<{ models: RunningModel[] }>('api/ps'),
      ]);
      setInstalled(models.models);
      setRunning(ps.models);
    } catch (error) {
      setFailure(error as Failure);
    }
  }, []);

  useEffect(() => {
    if (active) void refresh();
  }, [active, refresh]);
  useEffect(() => () => abort.current?.abort(), []);

  const startPull = async (event: FormEvent) => {
    event.preventDefault();
    const id = pullId.trim();
    if (!MODEL_ID.test(id)) return setFailure({ key: 'error.modelId' });
    setFailure(undefined);
    setNotice(undefined);
    const controller = new AbortController();
    abort.current = controller;
    setPull({ id, files: {} });
    try {
      await streamEvents(
        'api/models/pull',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id }),
          signal: controller.signal,
        },
        (type, data) => {
          if (type !== 'progress') return;
          const progress = data as PullProgress;
          setPull((current) => current && { ...current, files: { ...current.files, [progress.file]: progress } });
        },
      );
      setNotice(t('models.pulled', { id }));
      setPullId('');
    } catch (error) {
      setFailure(error as Failure);
    } finally {
      setPull(undefined);
      abort.current = undefined;
      void refresh();
    }
  };

  const remove = async (id: string) => {
    setConfirming(undefined);
    setNotice(undefined);
    try {
      const [owner, name] = id.split('/');
      await getJson(`api/models/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`, { method: 'DELETE' });
      setNotice(t('models.removed', { id }));
    } catch (error) {
      setFailure(error as Failure);
    }
    void refresh();
  };

  const unload = async (key: string) => {
    setNotice(undefined);
    try {
      await getJson('api/unload', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key }),
      });
      setNotice(t('models.unloaded', { id: key }));
    } catch (error) {
      setFailure(error as Failure);
    }
    void refresh();
  };

  const pullFiles = pull ? Object.values(pull.files) : [];

  return (
    <div className="page stack">
      <div className="row wrap">
        <h1>{t('models.heading')}</h1>
        <span className="grow" />
        <button type="button" className="button-secondary" onClick={() => void refresh()}>
          {t('models.refresh')}
        </button>
      </div>
      <form className="row wrap pull-form" onSubmit={startPull}>
        <label className="field grow">
          <span className="field-label">{t('models.pullLabel')}</span>
          <input
            id="models-pull-id"
            value={pullId}
            placeholder={t('models.pullPlaceholder')}
            onChange={(event) => setPullId(event.target.value)}
            disabled={!!pull}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <button type="submit" id="models-pull" className="button-primary" disabled={!!pull}>
          {t('models.pull')}
        </button>
      </form>
      {pullFiles.map((file) => (
        <ProgressBar
          key={file.file}
          value={file.bytes}
          max={file.total_bytes}
          label={`${file.file} — ${formatBytes(file.bytes)} / ${formatBytes(file.total_bytes)}`}
        />
      ))}
      {notice && (
        <p className="note" role="status">
          {notice}
        </p>
      )}
      <ErrorMessage failure={failure} onDismiss={() => setFailure(undefined)} />

      <h2>{t('models.installed')}</h2>
      {installed?.length === 0 && <p className="muted">{t('models.noneInstalled')}</p>}
      {!!installed?.length && (
        <div className="table-wrap">
          <table data-testid="installed-models">
            <thead>
              <tr>
                <th>{t('models.column.id')}</th>
                <th>{t('models.column.capabilities')}</th>
                <th className="number">{t('models.column.size')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {installed.map((model) => (
                <tr key={model.id}>
                  <td>
                    <code>{model.id}</code>
                    {model.loaded && <span className="badge">{t('models.loaded')}</span>}
                  </td>
                  <td>{model.capabilities.join(', ')}</td>
                  <td className="number">{formatBytes(model.size_bytes)}</td>
                  <td className="actions">
                    {confirming === model.id ? (
                      <span className="row">
                        <span>{t('models.removeConfirm', { id: model.id })}</span>
                        <button type="button" className="button-danger small" onClick={() => void remove(model.id)}>
                          {t('models.remove')}
                        </button>
                        <button type="button" className="button-quiet small" onClick={() => setConfirming(undefined)}>
                          {t('error.dismiss')}
                        </button>
                      </span>
                    ) : (
                      <button type="button" className="button-quiet small" onClick={() => setConfirming(model.id)}>
                        {t('models.remove')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>{t('models.running')}</h2>
      {running?.length === 0 && <p className="muted">{t('models.noneRunning')}</p>}
      {!!running?.length && (
        <div className="table-wrap">
          <table data-testid="running-models">
            <thead>
              <tr>
                <th>{t('models.column.id')}</th>
                <th>{t('models.column.state')}</th>
                <th className="number">{t('models.column.memory')}</th>
                <th className="number">{t('models.column.expires')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {running.map((model) => (
                <tr key={`${model.key}-${model.pid}`}>
                  <td>
                    <code>{model.key}</code> <span className="muted">{model.capability}</span>
                  </td>
                  <td>{model.state}</td>
                  <td className="number">{formatBytes(model.rss_bytes)}</td>
                  <td className="number">{seconds(model.expires_in_ms)}</td>
                  <td className="actions">
                    <button type="button" className="button-quiet small" onClick={() => void unload(model.key)}>
                      {t('models.unload')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
