/**
 * The code a worker thread is started with (`new Worker(code, {eval: true})`) to run the script
 * `name` beside `moduleUrl`: `name.js` once compiled; from the TypeScript sources (tests, benchmarks)
 * `name.ts`, loaded through tsx's loader, which only exists in a development checkout.
 */
export function workerBootstrap(name: string, moduleUrl: string): string {
  const extension = moduleUrl.endsWith('.ts') ? '.ts' : '.js';
  const url = JSON.stringify(new URL(`./${name}${extension}`, moduleUrl).href);
  return extension === '.ts'
    ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${url}); });`
    : `import(${url});`;
}
