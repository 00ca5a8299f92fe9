// Every message between the extension host and the run monitor webview (webview/monitor/). One file, string-literal
// unions, exhaustive switches on both sides. The host reads run folders (src/node/runs/run-reader.ts) and sends each
// run's metrics once in full, then only the lines appended since.

import type { StepLine, ValidationLine } from '../core/runs/metrics.js';
import type { RunSummary } from '../core/runs/summary.js';

/** The webview panel's view type (no serializer yet: the monitor does not come back after a window reload). */
export const RUN_MONITOR_VIEW_TYPE = 'anadiff.runMonitor';

/** What the monitor webview keeps with VS Code (setState) so a window reload restores the same runs. */
export interface MonitorState {
  readonly runIds: readonly string[];
}

/** Messages from the host to the monitor. */
export type HostToMonitor =
  /**
   * A run shown in the monitor, with its whole history so far: sent when the run is added, and again when its
   * metrics.jsonl was rewritten (a resume drops the lines after its checkpoint), replacing what the monitor had.
   */
  | {
      readonly type: 'run';
      readonly runId: string;
      readonly summary: RunSummary;
      readonly steps: readonly StepLine[];
      readonly validations: readonly ValidationLine[];
    }
  /** Lines appended to a shown run's metrics.jsonl since the last message, and its summary now. */
  | { readonly type: 'append'; readonly runId: string; readonly summary: RunSummary; readonly steps: readonly StepLine[]; readonly validations: readonly ValidationLine[] }
  /** A shown run's folder was deleted, or the person closed it in the monitor: drop its curves. */
  | { readonly type: 'removeRun'; readonly runId: string };

/** Messages from the monitor to the host. */
export type MonitorToHost =
  /** The script has loaded and listens: the host sends every shown run (`run`), then appends. */
  | { readonly type: 'ready' }
  /** The person closed a run's legend entry: the host stops sending it. */
  | { readonly type: 'hideRun'; readonly runId: string }
  /**
   * Save a chart (its PNG or SVG button): the host asks where, then writes the file. `data` is the PNG as base64, or
   * the SVG text (core/runs/chart-svg.ts); `name` a suggested file name without the extension.
   */
  | { readonly type: 'export'; readonly format: 'png' | 'svg'; readonly name: string; readonly data: string };
