// The shape of an end-to-end test module (test/e2e/*.e2e.ts) and what each test receives.
// Contract and examples: test/harness/README.md.
import type { FrameLocator, Page } from 'playwright-core';
import type { SampleWorkspace } from './workspace.js';

export interface Workbench {
  /** The workbench is shown with the workspace's files in the explorer and AnaDiff's contributions are registered (called before the first test). */
  ready(): Promise<void>;
  /** Runs a command palette entry by its title, e.g. `AnaDiff: Open Label Overlay…`. */
  runCommand(title: string): Promise<void>;
  /** Double-clicks a top-level explorer row (opens the file with its default editor, pinned). */
  openFileFromExplorer(name: string): Promise<void>;
  /**
   * Right-clicks the top-level explorer rows `fileNames` (several: a multi-selection, Ctrl+click) and runs the context
   * menu entry whose label contains `item`; retries while the menu swallows the click.
   */
  explorerContextMenu(fileNames: string | readonly string[], item: string): Promise<void>;
  /** Ctrl+P, the file name, Enter. */
  quickOpen(name: string): Promise<void>;
  /** "View: Reopen Editor With..." and picks the editor whose label contains `editorLabel`. */
  reopenWith(editorLabel: string): Promise<void>;
  /** Content frame of the active webview (custom editor), once it is attached. */
  webviewFrame(timeoutMs?: number): Promise<FrameLocator>;
  /** Texts of the visible notification toasts. */
  notifications(): Promise<string[]>;
  closeAllEditors(): Promise<void>;
}

export interface E2eContext {
  readonly page: Page;
  readonly workbench: Workbench;
  /**
   * Full-page PNG at test-results/e2e-<name>.png; returns its path. With `forDocs` and ANADIFF_DOCS_IMAGES=1 it is
   * also copied to docs/images/<name>.png (README pictures, refreshed on purpose rather than by every run).
   */
  screenshot(name: string, options?: { readonly forDocs?: boolean }): Promise<string>;
  readonly workspace: SampleWorkspace;
  log(message: string): void;
  /** Ends the test as skipped, printing the reason (e.g. a file it needs is absent). */
  skip(reason: string): never;
}

/** Thrown by `E2eContext.skip`; the runner counts the test as skipped. */
export class E2eSkip extends Error {
  constructor(readonly reason: string) {
    super(`skipped: ${reason}`);
    this.name = 'E2eSkip';
  }
}

export interface E2eTest {
  readonly name: string;
  /** Default 90 s. */
  readonly timeoutMs?: number;
  /** Skipped with a visible message when ../shared/data is absent. */
  readonly needsSharedData?: boolean;
  run(context: E2eContext): Promise<void>;
}

/** What a test/e2e/*.e2e.ts file exports. */
export interface E2eModule {
  readonly tests: readonly E2eTest[];
}
