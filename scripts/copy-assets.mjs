#!/usr/bin/env node
// The compiled package (dist/) needs the data files the code reads at run time, beside the code.
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const folder of ['testkit/data']) {
  cpSync(join(root, folder), join(root, 'dist', folder), { recursive: true });
}
