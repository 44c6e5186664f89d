/** The seed's scenarios as plain async functions over the model interfaces. */
export * from './align/index.ts';
export * from './assistant/index.ts';
export * from './chat/index.ts';
export * from './finetune/index.ts';
export * from './imagine/index.ts';
export * from './say/index.ts';
export * from './transcribe/index.ts';
export * from './vqa/index.ts';
