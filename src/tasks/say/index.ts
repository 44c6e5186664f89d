/** Text to speech: the `say` task. */
export { type SayOptions, type SayResult, say } from './say.ts';
