/** The answering step: a short, spoken-style reply from an instruct model, in the user's language. */
export type { ChatOptions, ChatReply, PreparedChat } from './chat.ts';
export { CHAT_DEFAULTS, chat, prepareChat } from './chat.ts';
export type { ReplyLanguage } from './system-prompt.ts';
export { DEFAULT_SYSTEM_PROMPTS, defaultSystemPrompt, detectReplyLanguage } from './system-prompt.ts';
