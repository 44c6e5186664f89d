/**
 * Which execution device a model runs on. `cpu` always works; `cuda` needs onnxruntime-node's CUDA
 * provider library, which its installer only fetches when asked to (this project installs with
 * `onnxruntime-node-install=skip`), so we check for it and say how to get it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MmkitError } from '../../../errors.ts';

export type OnnxDevice = 'cpu' | 'cuda';

export function cudaProviderPath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const packageRoot = dirname(require.resolve('onnxruntime-node/package.json'));
    const path = join(
      packageRoot,
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
      'libonnxruntime_providers_cuda.so',
    );
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

export function checkDevice(device: string | undefined): OnnxDevice {
  if (device === undefined || device === 'cpu') return 'cpu';
  if (device === 'cuda') {
    if (!cudaProviderPath()) {
      throw new MmkitError(
        'device cuda: the onnxruntime-node CUDA provider is not installed (reinstall it with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with CUDA 12) or use device cpu',
        { code: 'device_unavailable', param: 'device' },
      );
    }
    return 'cuda';
  }
  throw new MmkitError(`unknown device "${device}"; use cpu or cuda`, { code: 'device_unknown', param: 'device' });
}
