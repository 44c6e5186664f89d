/**
 * The seed's instruction for the answering model ("concise, conversational, fit for being spoken
 * aloud"), written in English and in Chinese. The prompt is given in the user's language because
 * small instruct models tend to answer in the language of the system prompt, whatever they are told.
 */

export type ReplyLanguage = 'zh' | 'en';

export const DEFAULT_SYSTEM_PROMPTS: Readonly<Record<ReplyLanguage, string>> = {
  en:
    'You are a friendly voice assistant. Answer briefly and conversationally, in one to three short ' +
    'sentences that sound natural when read aloud. No lists, markdown, emoji or code. Reply in English.',
  zh: '你是一个友好的语音助手。请用简洁、口语化的中文回答，一到三句话，适合语音播报。不要使用列表、Markdown、表情符号或代码。',
};

const HAN = /\p{Script=Han}/gu;
const LATIN_WORD = /[A-Za-z]+/g;

/**
 * Chinese when the text holds Han characters and at least as many of them as Latin words (one Han
 * character carries about a word), so "What does 你好 mean?" stays English and
 * "请解释一下 machine learning" is Chinese.
 */
export function detectReplyLanguage(text: string): ReplyLanguage {
  const han = text.match(HAN)?.length ?? 0;
  const latinWords = text.match(LATIN_WORD)?.length ?? 0;
  return han > 0 && han >= latinWords ? 'zh' : 'en';
}

export function defaultSystemPrompt(userText: string): { language: ReplyLanguage; prompt: string } {
  const language = detectReplyLanguage(userText);
  return { language, prompt: DEFAULT_SYSTEM_PROMPTS[language] };
}
