/**
 * What the voice should say for a sentence of the answer: models write markdown despite being told
 * not to, and a voice reading "asterisk asterisk" or a link's URL aloud is worse than silence.
 * The answer text the caller gets keeps the model's own formatting.
 */

const LINK = /\[([^\]]*)\]\([^)]*\)/g;
const CODE_FENCE = /```[a-z]*/gi;
const EMPHASIS = /(\*{1,3}|_{2,3}|`+|~~)/g;
const HEADING_OR_BULLET = /^\s*(#{1,6}\s+|[-*•]\s+|>\s*)/gm;

export function speakableText(sentence: string): string {
  return sentence
    .replace(LINK, '$1')
    .replace(CODE_FENCE, ' ')
    .replace(HEADING_OR_BULLET, '')
    .replace(EMPHASIS, '')
    .replace(/\s+/g, ' ')
    .trim();
}
