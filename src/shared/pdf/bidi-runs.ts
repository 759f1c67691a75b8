import bidiModule from "bidi-js";

// bidi-js ships CommonJS whose module.exports carries the factory as `default`; its types
// describe the ES build. Either way, the factory is what we need.
type BidiFactory = typeof bidiModule.default;
const bidiFactory: BidiFactory =
  (bidiModule as unknown as { default?: BidiFactory }).default ?? (bidiModule as unknown as BidiFactory);
const bidi = bidiFactory();

/** A stretch of text at one embedding level, in logical order; `rtl` runs are drawn shaped right to left. */
export type VisualRun = { text: string; rtl: boolean };

/**
 * One line of mixed Arabic and Latin text as runs in visual (left-to-right) order, by the
 * Unicode Bidirectional Algorithm (bidi-js): brackets mirrored in right-to-left runs, runs
 * reordered by rule L2. The characters of each run stay in logical order: pdfkit's shaper
 * (fontkit) lays a right-to-left run out reversed itself, and digits keep their order because
 * they form left-to-right runs of their own. pdfkit has no bidi step of its own (see
 * ../shared/notes/stack-probes.md §1).
 */
export function visualRuns(text: string, direction: "rtl" | "ltr" = "rtl"): VisualRun[] {
  if (text === "") return [];
  const embedding = bidi.getEmbeddingLevels(text, direction);
  const levels = embedding.levels;
  // Indexed by UTF-16 code unit, as the levels are.
  const mirrored = bidi.getMirroredCharactersMap(text, levels);
  const characters = text.split("");
  for (const [index, replacement] of mirrored) characters[index] = replacement;

  const runs: { level: number; text: string }[] = [];
  for (let index = 0; index < characters.length; index++) {
    const level = levels[index] ?? 0;
    const last = runs.at(-1);
    if (last && last.level === level) last.text += characters[index];
    else runs.push({ level, text: characters[index] ?? "" });
  }

  // Rule L2: from the highest level down to the lowest odd one, reverse every maximal
  // sequence of runs at that level or above.
  const highest = Math.max(...runs.map((run) => run.level));
  const lowestOdd = Math.min(...runs.map((run) => (run.level % 2 === 1 ? run.level : run.level + 1)));
  for (let level = highest; level >= lowestOdd; level--) {
    for (let start = 0; start < runs.length; start++) {
      if ((runs[start]?.level ?? 0) < level) continue;
      let end = start;
      while (end + 1 < runs.length && (runs[end + 1]?.level ?? 0) >= level) end++;
      const reversed = runs.slice(start, end + 1).reverse();
      runs.splice(start, reversed.length, ...reversed);
      start = end;
    }
  }
  return runs.map((run) => ({ text: run.text, rtl: run.level % 2 === 1 }));
}
