/** Text to speech: the `say` task, whole or sentence by sentence. */
export { type SayOptions, type SayResult, say } from './say.ts';
export { type SpeakSentencesOptions, type SpokenSentence, speakSentences, spokenSentences } from './speak-sentences.ts';
