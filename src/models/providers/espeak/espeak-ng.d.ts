/** The npm `espeak-ng` package: an Emscripten build of the espeak-ng command line, without types. */
declare module 'espeak-ng' {
  interface EspeakFileSystem {
    writeFile(path: string, data: string | Uint8Array): void;
    readFile(path: string): Uint8Array;
  }
  interface EspeakModule {
    FS: EspeakFileSystem;
  }
  interface EspeakModuleOptions {
    arguments: string[];
    print?: (line: string) => void;
    printErr?: (line: string) => void;
    quit?: (status: number, toThrow: unknown) => void;
    preRun?: Array<(module: EspeakModule) => void>;
    /** Emscripten's hook for supplying the instance (WebAssembly objects, untyped in the ES2023 lib). */
    instantiateWasm?: (imports: object, done: (instance: object, module: object) => void) => object;
  }
  const createEspeak: (options: EspeakModuleOptions) => Promise<EspeakModule>;
  export default createEspeak;
}
