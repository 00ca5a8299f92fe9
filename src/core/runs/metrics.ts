/**
 * metrics.jsonl (docs/run-folder.md), read incrementally: the editor feeds only the bytes appended since the last
 * read, so a 100k-line file costs one pass however often it is watched. A line without "kind" is a training step,
 * `"kind":"validation"` a validation; a half-written last line (a run killed mid-write, or a write in progress) stays
 * pending until its newline arrives, and a complete line that does not parse is counted and skipped.
 */

/**
 * A training step line: `{"step":12,"loss":0.83,"lr":0.0003,"ms":1840.2}` (ms = session.run time); a loss of several
 * terms also names them: `"terms":{"eps":0.79,"coords":0.04}` (guided pretraining: loss = eps + weight * coords).
 */
export interface StepLine {
  readonly step: number;
  readonly loss: number;
  readonly terms?: Readonly<Record<string, number>>;
  readonly lr?: number;
  readonly ms?: number;
}

/** A validation line (written after each epoch). */
export interface ValidationLine {
  readonly kind: 'validation';
  readonly step: number;
  readonly epoch: number;
  /** Mean over classes then cases. */
  readonly meanDice: number;
  /** Class name -> Dice, mean over validation cases. */
  readonly dice: Readonly<Record<string, number>>;
  readonly cases: readonly string[];
  readonly ms: number;
}

export type MetricsLine = ({ readonly kind: 'step' } & StepLine) | ValidationLine;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** One line of text -> a typed line, or undefined when it is not one (blank, torn, another kind). */
export function parseMetricsLine(text: string): MetricsLine | undefined {
  if (text.trim() === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (o.kind === 'validation') {
    if (!isNum(o.step) || !isNum(o.meanDice)) return undefined;
    return {
      kind: 'validation', step: o.step, epoch: isNum(o.epoch) ? o.epoch : 0, meanDice: o.meanDice, dice: numbersOf(o.dice) ?? {},
      cases: Array.isArray(o.cases) ? o.cases.filter((c): c is string => typeof c === 'string') : [], ms: isNum(o.ms) ? o.ms : 0,
    };
  }
  if (o.kind !== undefined || !isNum(o.step) || !isNum(o.loss)) return undefined;
  const terms = numbersOf(o.terms);
  return { kind: 'step', step: o.step, loss: o.loss, ...(terms ? { terms } : {}), ...(isNum(o.lr) ? { lr: o.lr } : {}), ...(isNum(o.ms) ? { ms: o.ms } : {}) };
}

/** The numeric entries of an object (others dropped), or undefined when it is not an object or has none. */
function numbersOf(v: unknown): Record<string, number> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (isNum(x)) out[k] = x;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The lines read so far, as plain data (what a monitor plots). */
export interface MetricsHistory {
  readonly steps: StepLine[];
  readonly validations: ValidationLine[];
  /** Complete lines that did not parse. */
  skipped: number;
}

export function emptyHistory(): MetricsHistory {
  return { steps: [], validations: [], skipped: 0 };
}

/** New lines of one feed, split by kind. */
export interface MetricsDelta {
  readonly steps: readonly StepLine[];
  readonly validations: readonly ValidationLine[];
}

/**
 * Turns appended bytes into lines. UTF-8 is decoded in streaming mode, so a chunk may end inside a character;
 * the text after the last newline waits for the next feed. `bytesRead` is the file offset to read from next.
 */
export class MetricsReader {
  private decoder = new TextDecoder('utf-8');
  private pending = '';
  bytesRead = 0;
  readonly history: MetricsHistory = emptyHistory();

  /** Feeds the bytes that follow `bytesRead`; returns the complete lines they finished. */
  feed(bytes: Uint8Array): MetricsDelta {
    this.bytesRead += bytes.byteLength;
    const text = this.pending + this.decoder.decode(bytes, { stream: true });
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline < 0) {
      this.pending = text;
      return { steps: [], validations: [] };
    }
    this.pending = text.slice(lastNewline + 1);
    const steps: StepLine[] = [];
    const validations: ValidationLine[] = [];
    let start = 0;
    while (start <= lastNewline) {
      const end = text.indexOf('\n', start);
      const line = text.slice(start, end);
      start = end + 1;
      if (line.trim() === '') continue;
      const parsed = parseMetricsLine(line);
      if (!parsed) this.history.skipped++;
      else if (parsed.kind === 'validation') validations.push(parsed);
      else {
        const { kind: _, ...step } = parsed;
        steps.push(step);
      }
    }
    for (const s of steps) this.history.steps.push(s);
    for (const v of validations) this.history.validations.push(v);
    return { steps, validations };
  }

  /** The text after the last newline (a line being written, or the torn end of a killed run). */
  get pendingText(): string {
    return this.pending;
  }
}
