#!/usr/bin/env node
/**
 * Generates the WebAssembly SIMD kernels of the audio features (FFT stages, real split + power, mel
 * projection, log10) as WAT, assembles them with wabt, and writes:
 *   src/preprocess/audio/simd/audio-simd.wat         (the readable source, for review)
 *   src/preprocess/audio/simd/audio-simd-binary.ts   (the module as base64; what runs)
 * Run from the repository root after changing this file:
 *   npm install --no-save wabt@1.0.39 && node tools/wasm/build-audio-simd.mjs
 * Nothing at run or test time needs wabt.
 *
 * Layout: every kernel works on planar float32 arrays whose innermost axis is the frame (a batch of
 * frames, a multiple of 4), so each f32x4 lane is one frame and every lane does the same arithmetic.
 * All pointers are byte offsets into the module's memory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const out = 'src/preprocess/audio/simd';

// ---------------------------------------------------------------- tiny WAT expression helpers
const g = (name) => `(local.get $${name})`;
const set = (name, expr) => `(local.set $${name} ${expr})`;
const add = (a, b) => `(f32x4.add ${a} ${b})`;
const sub = (a, b) => `(f32x4.sub ${a} ${b})`;
const mul = (a, b) => `(f32x4.mul ${a} ${b})`;
const splat = (value) => `(v128.const f32x4 ${value} ${value} ${value} ${value})`;
const iadd = (a, b) => `(i32.add ${a} ${b})`;
const imul = (a, b) => `(i32.mul ${a} ${b})`;
const i32 = (value) => `(i32.const ${value})`;
const load = (base, address) => `(v128.load (i32.add ${g(base)} ${g(address)}))`;
const store = (base, address, expr) => `(v128.store (i32.add ${g(base)} ${g(address)}) ${expr})`;
const locals = (type, names) => names.map((name) => `(local $${name} ${type})`).join(' ');

/** `for (name = 0; name < limit; name += step) body` */
function loop(name, limit, step, body) {
  return `${set(name, i32(0))}
    (block $${name}_done (loop $${name}_loop
      (br_if $${name}_done (i32.ge_u ${g(name)} ${limit}))
      ${body}
      ${set(name, iadd(g(name), i32(step)))}
      (br $${name}_loop)))`;
}

/** Store (re + i·im)·(wr + i·wi) at output slot `address`. */
function twiddled(address, re, im, wr, wi) {
  return `${store('yr', address, sub(mul(g(re), g(wr)), mul(g(im), g(wi))))}
      ${store('yi', address, add(mul(g(re), g(wi)), mul(g(im), g(wr))))}`;
}

/**
 * One decimation-in-frequency Stockham pass of radix p: for j < m, lanes q < s:
 * x[q + s(j + k m)] (k < p) → DFT_p → · ω^(j r) → y[q + s(p j + r)].
 * Twiddles: interleaved f32 (re, im) at tw + 8((p−1) j + r − 1).
 */
function stage(radix, butterfly) {
  const inputs = Array.from({ length: radix }, (_, k) => `a${k}`);
  const outputs = Array.from({ length: radix }, (_, r) => `o${r}`);
  const twiddles = Array.from({ length: radix - 1 }, (_, r) => [`w${r + 1}r`, `w${r + 1}i`]).flat();
  const values = Array.from({ length: radix }, (_, k) => [`x${k}r`, `x${k}i`]).flat();
  const loadTwiddles = Array.from(
    { length: radix - 1 },
    (_, r) =>
      `${set(`w${r + 1}r`, `(f32x4.splat (f32.load offset=${8 * r} ${g('t')}))`)}
      ${set(`w${r + 1}i`, `(f32x4.splat (f32.load offset=${8 * r + 4} ${g('t')}))`)}`,
  ).join('\n      ');
  const addresses = [
    set('a0', iadd(g('inBase'), g('q'))),
    ...inputs.slice(1).map((name, k) => set(name, iadd(g(inputs[k]), g('inStep')))),
    set('o0', iadd(g('outBase'), g('q'))),
    ...outputs.slice(1).map((name, r) => set(name, iadd(g(outputs[r]), g('sb')))),
  ].join('\n      ');
  const loads = inputs
    .map((a, k) => `${set(`x${k}r`, load('xr', a))} ${set(`x${k}i`, load('xi', a))}`)
    .join('\n      ');
  return `(func (export "radix${radix}") (param $xr i32) (param $xi i32) (param $yr i32) (param $yi i32)
    (param $m i32) (param $s i32) (param $tw i32)
    ${locals('i32', ['j', 'q', 'sb', 'inStep', 'inBase', 'outBase', 't', ...inputs, ...outputs])}
    ${locals('v128', [...twiddles, ...values, 'tr', 'ti', 'ur', 'ui', 'vr', 'vi', 'zr', 'zi'])}
    ${set('sb', `(i32.shl ${g('s')} ${i32(2)})`)}
    ${set('inStep', imul(g('sb'), g('m')))}
    ${loop(
      'j',
      g('m'),
      1,
      `${set('inBase', imul(g('sb'), g('j')))}
      ${set('outBase', imul(g('inBase'), i32(radix)))}
      ${set('t', iadd(g('tw'), imul(g('j'), i32(8 * (radix - 1)))))}
      ${loadTwiddles}
      ${loop('q', g('sb'), 16, `${addresses}\n      ${loads}\n      ${butterfly}`)}`,
    )})`;
}

const radix2 = stage(
  2,
  `${store('yr', 'o0', add(g('x0r'), g('x1r')))} ${store('yi', 'o0', add(g('x0i'), g('x1i')))}
      ${set('tr', sub(g('x0r'), g('x1r')))} ${set('ti', sub(g('x0i'), g('x1i')))}
      ${twiddled('o1', 'tr', 'ti', 'w1r', 'w1i')}`,
);

// X1 = (x0 − x2) − i(x1 − x3), X2 = (x0 + x2) − (x1 + x3), X3 = (x0 − x2) + i(x1 − x3)
const radix4 = stage(
  4,
  `${set('tr', add(g('x0r'), g('x2r')))} ${set('ti', add(g('x0i'), g('x2i')))}
      ${set('ur', sub(g('x0r'), g('x2r')))} ${set('ui', sub(g('x0i'), g('x2i')))}
      ${set('vr', add(g('x1r'), g('x3r')))} ${set('vi', add(g('x1i'), g('x3i')))}
      ${set('zr', sub(g('x1i'), g('x3i')))} ${set('zi', sub(g('x3r'), g('x1r')))}
      ${store('yr', 'o0', add(g('tr'), g('vr')))} ${store('yi', 'o0', add(g('ti'), g('vi')))}
      ${set('x0r', add(g('ur'), g('zr')))} ${set('x0i', add(g('ui'), g('zi')))}
      ${twiddled('o1', 'x0r', 'x0i', 'w1r', 'w1i')}
      ${set('x1r', sub(g('tr'), g('vr')))} ${set('x1i', sub(g('ti'), g('vi')))}
      ${twiddled('o2', 'x1r', 'x1i', 'w2r', 'w2i')}
      ${set('x2r', sub(g('ur'), g('zr')))} ${set('x2i', sub(g('ui'), g('zi')))}
      ${twiddled('o3', 'x2r', 'x2i', 'w3r', 'w3i')}`,
);

const C1 = Math.cos((2 * Math.PI) / 5);
const C2 = Math.cos((4 * Math.PI) / 5);
const S1 = Math.sin((2 * Math.PI) / 5);
const S2 = Math.sin((4 * Math.PI) / 5);
// s14 = x1 + x4, d14 = x1 − x4, s23, d23; m1 = x0 + C1 s14 + C2 s23, m2 = x0 + C2 s14 + C1 s23;
// n1 = −i(S1 d14 + S2 d23), n2 = −i(S2 d14 − S1 d23); X1 = m1 + n1, X4 = m1 − n1, X2 = m2 + n2, X3 = m2 − n2.
const radix5 = stage(
  5,
  `${set('tr', add(g('x1r'), g('x4r')))} ${set('ti', add(g('x1i'), g('x4i')))}
      ${set('ur', sub(g('x1r'), g('x4r')))} ${set('ui', sub(g('x1i'), g('x4i')))}
      ${set('vr', add(g('x2r'), g('x3r')))} ${set('vi', add(g('x2i'), g('x3i')))}
      ${set('zr', sub(g('x2r'), g('x3r')))} ${set('zi', sub(g('x2i'), g('x3i')))}
      ${store('yr', 'o0', add(g('x0r'), add(g('tr'), g('vr'))))} ${store('yi', 'o0', add(g('x0i'), add(g('ti'), g('vi'))))}
      ${set('x1r', add(g('x0r'), add(mul(splat(C1), g('tr')), mul(splat(C2), g('vr')))))}
      ${set('x1i', add(g('x0i'), add(mul(splat(C1), g('ti')), mul(splat(C2), g('vi')))))}
      ${set('x2r', add(g('x0r'), add(mul(splat(C2), g('tr')), mul(splat(C1), g('vr')))))}
      ${set('x2i', add(g('x0i'), add(mul(splat(C2), g('ti')), mul(splat(C1), g('vi')))))}
      ${set('x3r', add(mul(splat(S1), g('ui')), mul(splat(S2), g('zi'))))}
      ${set('x3i', `(f32x4.neg ${add(mul(splat(S1), g('ur')), mul(splat(S2), g('zr')))})`)}
      ${set('x4r', sub(mul(splat(S2), g('ui')), mul(splat(S1), g('zi'))))}
      ${set('x4i', `(f32x4.neg ${sub(mul(splat(S2), g('ur')), mul(splat(S1), g('zr')))})`)}
      ${set('tr', add(g('x1r'), g('x3r')))} ${set('ti', add(g('x1i'), g('x3i')))}
      ${twiddled('o1', 'tr', 'ti', 'w1r', 'w1i')}
      ${set('tr', add(g('x2r'), g('x4r')))} ${set('ti', add(g('x2i'), g('x4i')))}
      ${twiddled('o2', 'tr', 'ti', 'w2r', 'w2i')}
      ${set('tr', sub(g('x2r'), g('x4r')))} ${set('ti', sub(g('x2i'), g('x4i')))}
      ${twiddled('o3', 'tr', 'ti', 'w3r', 'w3i')}
      ${set('tr', sub(g('x1r'), g('x3r')))} ${set('ti', sub(g('x1i'), g('x3i')))}
      ${twiddled('o4', 'tr', 'ti', 'w4r', 'w4i')}`,
);

/**
 * Power spectrum from the packed transform Z (n/2 complex values per frame): for 0 < k < n/2,
 * X[k] = (Z[k] + conj Z[h−k])/2 − i ω^k (Z[k] − conj Z[h−k])/2; out[k B + f] = |X[k]|², k = 0 … h.
 * Split twiddles ω^k at tw + 8k. bytesPerBin = 4B.
 */
const splitPower = `(func (export "splitPower") (param $zr i32) (param $zi i32) (param $out i32) (param $half i32)
    (param $bytesPerBin i32) (param $tw i32)
    ${locals('i32', ['k', 'f', 'direct', 'mirror', 'target'])}
    ${locals('v128', ['ar', 'ai', 'br', 'bi', 'wr', 'wi', 'er', 'ei', 'dr', 'di', 're', 'im'])}
    ${loop(
      'f',
      g('bytesPerBin'),
      16,
      `${set('ar', `(v128.load (i32.add ${g('zr')} ${g('f')}))`)} ${set('ai', `(v128.load (i32.add ${g('zi')} ${g('f')}))`)}
      (v128.store (i32.add ${g('out')} ${g('f')}) (f32x4.mul ${add(g('ar'), g('ai'))} ${add(g('ar'), g('ai'))}))
      (v128.store (i32.add (i32.add ${g('out')} ${imul(g('half'), g('bytesPerBin'))}) ${g('f')}) (f32x4.mul ${sub(g('ar'), g('ai'))} ${sub(g('ar'), g('ai'))}))`,
    )}
    ${set('k', i32(1))}
    (block $k_done (loop $k_loop
      (br_if $k_done (i32.ge_u ${g('k')} ${g('half')}))
      ${set('wr', `(f32x4.splat (f32.load (i32.add ${g('tw')} (i32.shl ${g('k')} ${i32(3)}))))`)}
      ${set('wi', `(f32x4.splat (f32.load offset=4 (i32.add ${g('tw')} (i32.shl ${g('k')} ${i32(3)}))))`)}
      ${set('direct', imul(g('k'), g('bytesPerBin')))}
      ${set('mirror', imul(`(i32.sub ${g('half')} ${g('k')})`, g('bytesPerBin')))}
      ${loop(
        'f',
        g('bytesPerBin'),
        16,
        `${set('target', iadd(g('direct'), g('f')))}
        ${set('ar', load('zr', 'target'))} ${set('ai', load('zi', 'target'))}
        ${set('target', iadd(g('mirror'), g('f')))}
        ${set('br', load('zr', 'target'))} ${set('bi', load('zi', 'target'))}
        ${set('dr', mul(splat(0.5), sub(g('ar'), g('br'))))} ${set('di', mul(splat(0.5), add(g('ai'), g('bi'))))}
        ${set('re', add(mul(splat(0.5), add(g('ar'), g('br'))), add(mul(g('wr'), g('di')), mul(g('wi'), g('dr')))))}
        ${set('im', add(sub(mul(splat(0.5), sub(g('ai'), g('bi'))), mul(g('wr'), g('dr'))), mul(g('wi'), g('di'))))}
        ${set('target', iadd(g('direct'), g('f')))}
        ${store('out', 'target', add(mul(g('re'), g('re')), mul(g('im'), g('im'))))}`,
      )}
      ${set('k', iadd(g('k'), i32(1)))}
      (br $k_loop)))
  )`;

/**
 * Window `count` frames out of a contiguous segment (frame f starts at f·hop) into the planar packed
 * input: re[p B + f] = x[2p]·w[2p], im[p B + f] = x[2p+1]·w[2p+1]. Scalar: lanes are frames here.
 */
const loadFrames = `(func (export "loadFrames") (param $segment i32) (param $hopBytes i32) (param $count i32)
    (param $window i32) (param $half i32) (param $re i32) (param $im i32) (param $bytesPerBin i32)
    ${locals('i32', ['f', 'p', 'source', 'target', 'w'])}
    ${loop(
      'f',
      g('count'),
      1,
      `${set('source', iadd(g('segment'), imul(g('f'), g('hopBytes'))))}
      ${set('target', `(i32.shl ${g('f')} ${i32(2)})`)}
      ${set('w', g('window'))}
      ${loop(
        'p',
        g('half'),
        1,
        `(f32.store (i32.add ${g('re')} ${g('target')}) (f32.mul (f32.load ${g('source')}) (f32.load ${g('w')})))
        (f32.store (i32.add ${g('im')} ${g('target')}) (f32.mul (f32.load offset=4 ${g('source')}) (f32.load offset=4 ${g('w')})))
        ${set('source', iadd(g('source'), i32(8)))}
        ${set('w', iadd(g('w'), i32(8)))}
        ${set('target', iadd(g('target'), g('bytesPerBin')))}`,
      )}`,
    )})`;

/**
 * Mel projection of one batch, straight into rows of the output (row stride outRowBytes):
 * out[mel row + f] = Σ_j weight[j] · power[(first[mel] + j − offset[mel]) B + f]. first/offset i32, weight f32.
 */
const melProject = `(func (export "melProject") (param $power i32) (param $bytesPerBin i32) (param $nMels i32)
    (param $first i32) (param $offset i32) (param $weight i32) (param $out i32) (param $outRowBytes i32)
    ${locals('i32', ['mel', 'f', 'j', 'end', 'row', 'target'])}
    ${locals('v128', ['sum', 'w'])}
    ${loop(
      'mel',
      g('nMels'),
      1,
      `${set('end', `(i32.load offset=4 (i32.add ${g('offset')} (i32.shl ${g('mel')} ${i32(2)})))`)}
      ${set('target', iadd(g('out'), imul(g('mel'), g('outRowBytes'))))}
      ${loop(
        'f',
        g('bytesPerBin'),
        16,
        `${set('sum', splat(0))}
        ${set('j', `(i32.load (i32.add ${g('offset')} (i32.shl ${g('mel')} ${i32(2)})))`)}
        ${set('row', iadd(iadd(g('power'), g('f')), imul(`(i32.load (i32.add ${g('first')} (i32.shl ${g('mel')} ${i32(2)})))`, g('bytesPerBin'))))}
        (block $j_done (loop $j_loop
          (br_if $j_done (i32.ge_u ${g('j')} ${g('end')}))
          ${set('sum', add(g('sum'), mul(`(f32x4.splat (f32.load (i32.add ${g('weight')} (i32.shl ${g('j')} ${i32(2)}))))`, `(v128.load ${g('row')})`)))}
          ${set('row', iadd(g('row'), g('bytesPerBin')))}
          ${set('j', iadd(g('j'), i32(1)))}
          (br $j_loop)))
        (v128.store (i32.add ${g('target')} ${g('f')}) ${g('sum')})`,
      )}`,
    )})`;

/**
 * In place: x ← log10(max(floor, x)) · scale, for n values (n a multiple of 4); returns the maximum.
 * log via x = 2^e · m, m ∈ [√½, √2), ln m = 2 atanh((m − 1)/(m + 1)) as an odd series to r¹¹ (|r| ≤ 0.172).
 */
const log10Scaled = `(func (export "log10Scaled") (param $data i32) (param $count i32) (param $floor f32) (param $scale f32) (result f32)
    ${locals('i32', ['i', 'end'])}
    ${locals('v128', ['x', 'bits', 'e', 'm', 'r', 'r2', 'series', 'peak', 'big'])}
    ${set('peak', splat('-inf'))}
    ${set('end', iadd(g('data'), `(i32.shl ${g('count')} ${i32(2)})`))}
    ${set('i', g('data'))}
    (block $done (loop $next
      (br_if $done (i32.ge_u ${g('i')} ${g('end')}))
      ${set('x', `(f32x4.max (v128.load ${g('i')}) (f32x4.splat ${g('floor')}))`)}
      ${set('bits', g('x'))}
      ;; m = mantissa with exponent of 1.0; e = unbiased exponent
      ${set('m', `(v128.or (v128.and ${g('bits')} (v128.const i32x4 0x007fffff 0x007fffff 0x007fffff 0x007fffff)) (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000))`)}
      ${set('e', `(f32x4.convert_i32x4_s (i32x4.sub (i32x4.shr_u ${g('bits')} (i32.const 23)) (v128.const i32x4 127 127 127 127)))`)}
      ;; fold m into [√½, √2): where m > √2, halve it and add one to e
      ${set('big', `(f32x4.gt ${g('m')} ${splat(Math.SQRT2)})`)}
      ${set('m', `(v128.bitselect ${mul(g('m'), splat(0.5))} ${g('m')} ${g('big')})`)}
      ${set('e', `(f32x4.add ${g('e')} (v128.and ${g('big')} ${splat(1)}))`)}
      ${set('r', `(f32x4.div ${sub(g('m'), splat(1))} ${add(g('m'), splat(1))})`)}
      ${set('r2', mul(g('r'), g('r')))}
      ${set('series', add(splat(1 / 9), mul(g('r2'), splat(1 / 11))))}
      ${set('series', add(splat(1 / 7), mul(g('r2'), g('series'))))}
      ${set('series', add(splat(1 / 5), mul(g('r2'), g('series'))))}
      ${set('series', add(splat(1 / 3), mul(g('r2'), g('series'))))}
      ${set('series', add(splat(1), mul(g('r2'), g('series'))))}
      ;; log10 x = (e ln 2 + 2 r series) · log10(e), then · scale
      ${set('x', mul(add(mul(g('e'), splat(Math.LN2)), mul(splat(2), mul(g('r'), g('series')))), `(f32x4.splat (f32.mul (f32.const ${Math.LOG10E}) ${g('scale')}))`))}
      (v128.store ${g('i')} ${g('x')})
      ${set('peak', `(f32x4.max ${g('peak')} ${g('x')})`)}
      ${set('i', iadd(g('i'), i32(16)))}
      (br $next)))
    (f32.max (f32.max (f32x4.extract_lane 0 ${g('peak')}) (f32x4.extract_lane 1 ${g('peak')}))
             (f32.max (f32x4.extract_lane 2 ${g('peak')}) (f32x4.extract_lane 3 ${g('peak')}))))`;

/** In place: x ← (max(x, low) + add) · scale, for n values (a multiple of 4). */
const clampAffine = `(func (export "clampAffine") (param $data i32) (param $count i32) (param $low f32) (param $add f32) (param $scale f32)
    ${locals('i32', ['i', 'end'])}
    ${set('end', iadd(g('data'), `(i32.shl ${g('count')} ${i32(2)})`))}
    ${set('i', g('data'))}
    (block $done (loop $next
      (br_if $done (i32.ge_u ${g('i')} ${g('end')}))
      (v128.store ${g('i')} (f32x4.mul (f32x4.add (f32x4.max (v128.load ${g('i')}) (f32x4.splat ${g('low')})) (f32x4.splat ${g('add')})) (f32x4.splat ${g('scale')})))
      ${set('i', iadd(g('i'), i32(16)))}
      (br $next))))`;

const wat = `;; Generated by tools/wasm/build-audio-simd.mjs: edit that file, not this one.
(module
  (memory (export "memory") 1)
  ${radix2}
  ${radix4}
  ${radix5}
  ${splitPower}
  ${loadFrames}
  ${melProject}
  ${log10Scaled}
  ${clampAffine}
)
`;

const wabt = await require('wabt')();
const module = wabt.parseWat('audio-simd.wat', wat, { simd: true });
module.validate();
const { buffer } = module.toBinary({});
mkdirSync(out, { recursive: true });
writeFileSync(`${out}/audio-simd.wat`, wat);
const base64 = Buffer.from(buffer).toString('base64');
const lines = base64.match(/.{1,116}/g).map((line) => `  '${line}',`);
writeFileSync(
  `${out}/audio-simd-binary.ts`,
  `// Generated by tools/wasm/build-audio-simd.mjs from audio-simd.wat (${buffer.length} bytes): do not edit.\nexport const audioSimdBase64 = [\n${lines.join('\n')}\n].join('');\n`,
);
console.log(`wrote ${out}/audio-simd.wat and audio-simd-binary.ts (${buffer.length} bytes)`);
