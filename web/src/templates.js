// templates.js: standard replies (标准话术) in the reply box: the "/" that opens the picker, the
// blanks of a filled template followed through the agent's edits, and the preview's segments.
//
// Offsets: the server counts the blanks of POST /templates/{id}/render in code points of the
// body; a textarea (a JavaScript string) counts UTF-16 units. Chinese text is one of each per
// character, an emoji one code point and two units: unitsAt converts. Every offset kept here is
// in UTF-16 units of the textarea's value.

// The UTF-16 index of the code point offset cp in s (s.length when past its end).
export function unitsAt(s, cp) {
  let units = 0;
  let n = 0;
  for (const ch of s) {
    if (n === cp) return units;
    units += ch.length;
    n++;
  }
  return units;
}

// The "/" being typed before the caret: {start, query} when a "/" at the start of the text or
// after white space is followed, up to the caret, by at most 30 characters without a line
// break; null otherwise ("http://x" and "a/b" open nothing).
export function slashQuery(text, caret) {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('/');
  if (at < 0) return null;
  if (at > 0 && !/\s/.test(before[at - 1])) return null;
  const query = before.slice(at + 1);
  if (/[\n/]/.test(query) || [...query].length > 30) return null;
  return { start: at, query };
}

// The blanks of a render answer placed in a text at unit offset base: [{start, end, text,
// kind}] in units, the text as the server filled it (to tell whether the agent changed it).
export function placeBlanks(body, blanks, base) {
  return blanks.map((b) => ({
    start: base + unitsAt(body, b.start),
    end: base + unitsAt(body, b.end),
    text: b.text,
    kind: b.kind,
  }));
}

// Where before and after differ: {at, removed, added} (units), the common prefix and suffix
// left out.
export function difference(before, after) {
  let at = 0;
  const max = Math.min(before.length, after.length);
  while (at < max && before[at] === after[at]) at++;
  let tail = 0;
  while (tail < max - at && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  return { at, removed: before.length - at - tail, added: after.length - at - tail };
}

// The blanks after the text changed from before to after: a blank wholly after the change moves
// with it, one wholly before stays, one the change falls inside (an edit in it, or typing over it
// while it is selected) grows or shrinks with it, one the change overlaps at an edge keeps what
// is left of it with what was typed; a blank the change swallows with text around it is gone.
// Typing right at an edge is outside the blank, unless the blank is empty (its words deleted).
export function followBlanks(blanks, before, after) {
  if (before === after) return blanks;
  const { at, removed, added } = difference(before, after);
  const end = at + removed;
  const delta = added - removed;
  const out = [];
  for (const b of blanks) {
    const emptyFilled = b.start === b.end && at === b.start && removed === 0;
    if (emptyFilled) out.push({ ...b, end: b.end + added });
    else if (end <= b.start) out.push({ ...b, start: b.start + delta, end: b.end + delta });
    else if (at >= b.end) out.push(b);
    else if (at >= b.start && end <= b.end) out.push({ ...b, end: b.end + delta });
    else if (at < b.start && end > b.end) continue;
    else if (at < b.start) out.push({ ...b, start: at, end: b.end + delta });
    else out.push({ ...b, end: at + added });
  }
  return out;
}

// Whether the agent left every blank as the template filled it (and there is one).
export function allUntouched(blanks, text) {
  return blanks.length > 0 && blanks.every((b) => text.slice(b.start, b.end) === b.text);
}

// The blank to move to from the selection [selStart, selEnd): the next after it (back: the one
// before it), or null when there is none that way.
export function nextBlank(blanks, selStart, selEnd, back = false) {
  const sorted = [...blanks].sort((a, b) => a.start - b.start);
  if (back) {
    for (let i = sorted.length - 1; i >= 0; i--) {
      if (sorted[i].start < selStart) return sorted[i];
    }
    return null;
  }
  for (const b of sorted) {
    if (b.start > selStart || (b.start === selStart && b.end > selEnd)) return b;
  }
  return null;
}

// A template body cut for the editor's preview: [{text, kind}] with kind 'text', 'placeholder'
// ({{...}}) or 'emotion' ([[...]], without the brackets). For showing only: what the reply will
// say is what the server fills (POST /templates/{id}/render).
export function previewSegments(body) {
  const out = [];
  const re = /\{\{\s*([A-Za-z0-9_.]{1,64})\s*\}\}|\[\[([^[\]\n]+)\]\]/g;
  let last = 0;
  for (const m of body.matchAll(re)) {
    if (m.index > last) out.push({ text: body.slice(last, m.index), kind: 'text' });
    out.push(m[1] ? { text: m[1], kind: 'placeholder' } : { text: m[2], kind: 'emotion' });
    last = m.index + m[0].length;
  }
  if (last < body.length) out.push({ text: body.slice(last), kind: 'text' });
  return out;
}

// A rendered body cut at its blanks (code point offsets, as the server answers) for showing.
export function renderedSegments(body, blanks) {
  const out = [];
  let last = 0;
  for (const b of [...blanks].sort((x, y) => x.start - y.start)) {
    const s = unitsAt(body, b.start);
    const e = unitsAt(body, b.end);
    if (s < last) continue;
    if (s > last) out.push({ text: body.slice(last, s), kind: 'text' });
    out.push({ text: body.slice(s, e), kind: b.kind });
    last = e;
  }
  if (last < body.length) out.push({ text: body.slice(last), kind: 'text' });
  return out;
}

export const PLACEHOLDERS = ['customer.name', 'ticket.number', 'ticket.subject', 'agent.name', 'eta', 'due'];
