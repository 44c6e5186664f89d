import { describe, expect, it } from 'vitest';
import { speakableText } from './speakable-text.ts';

describe('speakableText', () => {
  it.each([
    ['**Sure!** Here is the `answer`.', 'Sure! Here is the answer.'],
    ['- first item', 'first item'],
    ['## 标题：今天的天气', '标题：今天的天气'],
    ['See [the docs](https://example.com/x) for more.', 'See the docs for more.'],
    ['```js\nconsole.log(1)\n```', 'console.log(1)'],
    ['Plain text stays.', 'Plain text stays.'],
    ['3 * 4 = 12', '3 4 = 12'],
  ])('%j → %j', (input, spoken) => {
    expect(speakableText(input)).toBe(spoken);
  });
});
