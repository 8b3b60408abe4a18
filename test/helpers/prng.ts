/**
 * A small deterministic PRNG (mulberry32) for randomized tests: a failing run
 * prints its seed, and the same seed replays the same choices.
 *
 * @example const rnd = prng(42); rnd() // 0.6011037519201636, always
 */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
