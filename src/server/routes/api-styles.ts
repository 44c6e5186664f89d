/**
 * `GET /api/styles`: the imagine task's five styles, with the seed's Chinese names and English
 * labels, and the template each adds to the prompt.
 */
import { Hono } from 'hono';
import { STYLE_ALIASES, STYLE_TEMPLATES } from '../../tasks/imagine/index.ts';
import type { ServerEnv } from '../server-context.ts';

/** English labels for the built-in styles (the aliases are the English names the task accepts). */
const ENGLISH_LABELS: Record<string, string> = {
  photorealistic: 'Photorealistic',
  'oil-painting': 'Oil painting',
  cartoon: 'Cartoon',
  watercolor: 'Watercolour',
  sketch: 'Sketch',
};

/** The seed's own label for its photorealistic style. */
const CHINESE_LABELS: Record<string, string> = { photorealistic: '写实' };

export function apiStylesRoutes(): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/api/styles', (c) => {
    const styles = Object.entries(STYLE_TEMPLATES).map(([name, template]) => {
      const alias = Object.entries(STYLE_ALIASES).find(([, target]) => target === name)?.[0];
      const english = alias ?? name;
      return {
        name,
        label_zh: CHINESE_LABELS[name] ?? name,
        label_en: ENGLISH_LABELS[english] ?? english,
        template,
      };
    });
    return c.json({ styles });
  });
  return app;
}
