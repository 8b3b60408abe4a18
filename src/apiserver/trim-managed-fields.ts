/**
 * Cuts `metadata.managedFields` out of a serialized object or watch event without
 * parsing it: what upstream's kube-controller-manager does to every object its
 * informers cache (`informers.WithTransform(trim)`), done here before the text
 * crosses to the components thread, so the bytes are neither copied nor parsed.
 */

const KEY = '"managedFields":[';
const META = '"metadata":{';

/**
 * `text` without the managedFields of its object. The text is compact JSON as the
 * registry writes it (`JSON.stringify`, no whitespace): an object, or a watch event
 * `{"type":…,"object":{…}}`, whose own metadata is the first `"metadata":{` in it.
 * Returns `text` unchanged when metadata has no managedFields or the text ends early.
 */
export function trimManagedFields(text: string): string {
  const meta = text.indexOf(META);
  if (meta < 0) return text;
  // Walk metadata's members: a string at depth 1 right after `{` or `,` is a member's key.
  let depth = 0;
  for (let i = meta + META.length - 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const prev = text.charCodeAt(i - 1);
      if (depth === 1 && (prev === 0x2c /* , */ || prev === 0x7b) /* { */ && text.startsWith(KEY, i)) return cut(text, i);
      i = stringEnd(text, i);
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) depth++;
    else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (--depth === 0) return text;
    }
  }
  return text;
}

/** `text` without the member whose key starts at `at`, and the comma that joined it. */
function cut(text: string, at: number): string {
  const end = valueEnd(text, at + KEY.length - 1);
  if (end < 0) return text;
  if (text.charCodeAt(at - 1) === 0x2c) return text.slice(0, at - 1) + text.slice(end);
  // The first member: drop the comma after it, if another member follows.
  return text.slice(0, at) + text.slice(text.charCodeAt(end) === 0x2c ? end + 1 : end);
}

/** The index of the string's closing quote (the string opens at `open`): the first quote not escaped. */
function stringEnd(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if (backslashes % 2 === 0) return q;
  }
}

/** The index just past the array or object that opens at `open`, or -1 when the text ends first. */
function valueEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i);
    else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}
