/**
 * Image preprocessing speed: one 1024×768 JPEG through CLIP's full preprocessing, ours vs PIL +
 * torchvision on one thread (timed by Python itself, same run); then batch throughput on this
 * thread vs the worker pool.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ImageWorkerPool } from '../src/preprocess/image/pool.ts';
import { preprocessImage, preprocessImages } from '../src/preprocess/image/preprocess.ts';
import { type BenchmarkRow, medianMs } from './report.ts';

const photo = fileURLToPath(new URL('../src/preprocess/image/fixtures/rocket.jpg', import.meta.url));
const BATCH = 32;

/**
 * PIL + torchvision's CLIP pipeline on one thread, timing its own loop; prints the median wall time and
 * the mean CPU time per image, in ms.
 */
const PIL_SCRIPT = `
import io, sys, time, torch
from PIL import Image, ImageOps
from torchvision import transforms
torch.set_num_threads(1)
data = open(sys.argv[1], "rb").read()
pipeline = transforms.Compose([
    transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]),
])
def once():
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    return pipeline(image)
for _ in range(3):
    once()
times = []
cpu_start = time.process_time()
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    once()
    times.append((time.perf_counter() - start) * 1000)
cpu = (time.process_time() - cpu_start) * 1000 / len(times)
times.sort()
print(times[len(times) // 2], cpu)
`;

/** The first Python that has torchvision: $MMKIT_PYTHON, python3, then Debian's /usr/bin/python3. */
function pilTimes(jpegPath: string, runs: number): { ms: number; cpuMs: number } | { unavailable: string } {
  const candidates = [process.env.MMKIT_PYTHON, 'python3', '/usr/bin/python3'].filter((x): x is string => !!x);
  let reason = 'no python3 found';
  for (const python of candidates) {
    try {
      const output = execFileSync(python, ['-c', PIL_SCRIPT, jpegPath, String(runs)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const [ms, cpuMs] = output.trim().split(/\s+/).map(Number);
      return { ms, cpuMs };
    } catch (error) {
      reason = `${python}: ${String((error as { stderr?: string }).stderr ?? error)
        .trim()
        .split('\n')
        .pop()}`;
    }
  }
  return { unavailable: reason };
}

/** Process CPU time (all threads, so sharp's too) per call, less sensitive than wall time to a busy machine. */
async function cpuMsPerRun(fn: () => Promise<unknown>, runs: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < runs; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / runs;
}

export async function run(): Promise<BenchmarkRow[]> {
  const directory = mkdtempSync(join(tmpdir(), 'mmkit-bench-image-'));
  try {
    const jpeg = await sharp(photo).resize(1024, 768, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    const jpegPath = join(directory, 'photo-1024x768.jpg');
    writeFileSync(jpegPath, jpeg);
    const rows: BenchmarkRow[] = [];

    // Interleaved rounds, so a busy machine weighs on both sides alike.
    const ours = { ms: 0, cpuMs: 0 };
    const anchor = { ms: 0, cpuMs: 0 };
    let unavailable: string | undefined;
    const rounds = 2;
    for (let round = 0; round < rounds; round++) {
      ours.ms += (await medianMs(() => preprocessImage(jpeg), { warmup: 5, runs: 21 })) / rounds;
      ours.cpuMs += (await cpuMsPerRun(() => preprocessImage(jpeg), 21)) / rounds;
      const pil = pilTimes(jpegPath, 21);
      if ('unavailable' in pil) unavailable = pil.unavailable;
      else {
        anchor.ms += pil.ms / rounds;
        anchor.cpuMs += pil.cpuMs / rounds;
      }
    }
    if (unavailable === undefined) {
      const common = { unit: 'ms', anchorName: 'PIL + torchvision', better: 'lower' as const, goal: 1 };
      rows.push({
        name: 'CLIP preprocessing, one 1024×768 JPEG, 1 thread',
        ours: ours.ms,
        anchor: anchor.ms,
        ...common,
      });
      rows.push({ name: 'same, CPU time per image (all threads)', ours: ours.cpuMs, anchor: anchor.cpuMs, ...common });
    } else {
      process.stdout.write(
        `CLIP preprocessing, one 1024×768 JPEG: ours ${ours.ms.toFixed(2)} ms; PIL + torchvision anchor unavailable (${unavailable})\n`,
      );
    }

    const batch = Array.from({ length: BATCH }, (_, index) => ({ bytes: jpeg, name: `photo-${index}.jpg` }));
    const mainThread = await medianMs(() => preprocessImages(batch, { threads: 0 }), { warmup: 1, runs: 5 });
    const pool = new ImageWorkerPool();
    try {
      const pooled = await medianMs(() => preprocessImages(batch, { threads: pool }), { warmup: 1, runs: 5 });
      rows.push({
        name: `batch of ${BATCH} 1024×768 JPEGs, worker pool (${pool.size} threads)`,
        ours: (BATCH * 1000) / pooled,
        anchor: (BATCH * 1000) / mainThread,
        unit: 'images/s',
        anchorName: 'main thread (decode overlapping resize)',
        better: 'higher',
      });
    } finally {
      await pool.close();
    }
    return rows;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
