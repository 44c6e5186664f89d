/** The seed's scenarios as plain async functions over the model interfaces. */
export * from './align/index.ts';
