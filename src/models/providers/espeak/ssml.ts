/** SSML for one espeak call: each language run in its own `<voice>`, a short break between runs. */
import type { LanguageRun } from './text-runs.ts';
import { RUN_VOICES } from './voices.ts';

export function runsToSsml(runs: readonly LanguageRun[], pauseMs: number): string {
  const body = runs
    .map((run) => `<voice name="${RUN_VOICES[run.language]}">${escapeXml(run.text)}</voice>`)
    .join(`<break time="${Math.round(pauseMs)}ms"/>`);
  return `<speak>${body}</speak>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
