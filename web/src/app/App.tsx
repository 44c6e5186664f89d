/**
 * The shell: header, page tabs (kept in the URL hash so a page can be linked), language switch.
 * Every page stays mounted while hidden, so switching tabs never loses a running generation.
 */
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/context.tsx';
import { LANGUAGES, type Language } from '../i18n/i18n.ts';
import type { MessageKey } from '../i18n/strings.ts';
import { AskPage } from '../pages/ask/AskPage.tsx';
import { AssistantPage } from '../pages/assistant/AssistantPage.tsx';
import { ImaginePage } from '../pages/imagine/ImaginePage.tsx';
import { ModelsPage } from '../pages/models/ModelsPage.tsx';

const PAGES = ['ask', 'imagine', 'assistant', 'models'] as const;
type PageName = (typeof PAGES)[number];

function pageFromHash(): PageName {
  const name = window.location.hash.replace(/^#\/?/, '');
  return (PAGES as readonly string[]).includes(name) ? (name as PageName) : 'ask';
}

const LANGUAGE_NAMES: Record<Language, string> = { zh: '中文', en: 'English' };

export function App() {
  const { t, language, setLanguage } = useI18n();
  const [page, setPage] = useState<PageName>(pageFromHash);

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.title = `${t(`nav.${page}` as MessageKey)} · mmkit`;
  }, [page, t]);

  return (
    <div className="app">
      <header className="header">
        <a className="brand" href="#/ask">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          <span className="brand-name">{t('app.title')}</span>
          <span className="brand-tagline">{t('app.tagline')}</span>
        </a>
        <nav className="tabs" aria-label="mmkit">
          {PAGES.map((name) => (
            <a
              key={name}
              href={`#/${name}`}
              className={name === page ? 'tab current' : 'tab'}
              aria-current={name === page ? 'page' : undefined}
              data-page={name}
            >
              {t(`nav.${name}` as MessageKey)}
            </a>
          ))}
        </nav>
        <label className="language">
          <span className="visually-hidden">{t('language.label')}</span>
          <select id="language" value={language} onChange={(event) => setLanguage(event.target.value as Language)}>
            {LANGUAGES.map((option) => (
              <option key={option} value={option}>
                {LANGUAGE_NAMES[option]}
              </option>
            ))}
          </select>
        </label>
      </header>
      <main className="main">
        <div hidden={page !== 'ask'} data-testid="page-ask">
          <AskPage active={page === 'ask'} />
        </div>
        <div hidden={page !== 'imagine'} data-testid="page-imagine">
          <ImaginePage />
        </div>
        <div hidden={page !== 'assistant'} data-testid="page-assistant">
          <AssistantPage />
        </div>
        <div hidden={page !== 'models'} data-testid="page-models">
          <ModelsPage active={page === 'models'} />
        </div>
      </main>
    </div>
  );
}
