/**
 * The Runs commands (palette, Runs tree context menu, status bar): New Training Run…, New Pretraining Run…, Train
 * Coordinate Model… (each writes a job config and runs it), Run Job Config, Compare Pretraining Methods…
 * (compare-command.ts), Open Run Monitor, Stop Run, Resume Run, Reveal Folder, Open Config, Segment with This Model,
 * Export ONNX, Add Runs Folder, Delete Run, Refresh. Jobs start only in trusted workspaces.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resumeCommandOf } from '../../core/runs/resume.js';
import type { RunStatus } from '../../core/runs/summary.js';
import { jobConfig, JobConfigError, jobConfigArgs, type JobOptionValue } from '../../core/jobs/job-config.js';
import { CONFIG_JOBS, configSuffix, jobTag, type ConfigJob } from '../../core/jobs/job-options.js';
import { writeFileAtomicAsync, writeTextAtomic } from '../../node/io/atomic-write.js';
import { SEGMENT_COMMAND } from '../segment/command.js';
import type { PretrainMethod } from '../../node/train/jobs/pretrain.js';
import { RUN_FILES, runFolderName } from '../../node/runs/run-folder.js';
import type { JobManager } from '../jobs/job-manager.js';
import { comparePretrainingMethods } from './compare-command.js';
import { RunMonitorPanel } from './monitor-panel.js';
import type { RunsModel } from './runs-model.js';
import { loadRunsSettings } from './settings.js';

export const UNTRUSTED_MESSAGE =
  'AnaDiff: training is disabled in this untrusted workspace, because a run executes models and writes into the workspace. Trust the workspace (Workspaces: Manage Workspace Trust) to start, stop or resume runs; viewing volumes and run folders still works.';

/** A QuickPick choice that sets some of a job's options (job-options.ts; the config keys are the CLI's flags). */
interface JobChoice {
  readonly label: string;
  readonly detail: string;
  readonly options: Readonly<Record<string, JobOptionValue>>;
}

/** Run lengths offered by New Training Run… (the first is the one-minute check that training works). */
export const RUN_LENGTHS = [
  {
    label: 'Smoke test: 3 epochs × 4 steps',
    detail: '32×32×16 patches at 6 mm: about a minute on a CPU; checks that training, validation and the monitor work',
    options: { epochs: 3, 'steps-per-epoch': 4, patch: [32, 32, 16], spacing: [6, 6, 6] },
  },
  { label: 'Short: 5 epochs × 50 steps', detail: 'the preset\'s patch and spacing', options: { epochs: 5, 'steps-per-epoch': 50 } },
  { label: 'Full: 10 epochs × 100 steps', detail: 'the CLI\'s defaults', options: { epochs: 10, 'steps-per-epoch': 100 } },
] as const satisfies readonly JobChoice[];

/** Pretraining methods offered by New Pretraining Run… (`anadiff pretrain --method`). */
export const PRETRAIN_CHOICES: readonly (JobChoice & { readonly method: PretrainMethod })[] = [
  { label: 'Diffusion', detail: 'DDPM denoising (epsilon MSE) with the timestep as FiLM in the backbone', method: 'diffusion', options: { method: 'diffusion' } },
  {
    label: 'Guided diffusion',
    detail: 'diffusion plus an auxiliary head regressing body-part coordinates (the generator\'s: synth cases or the phantom)',
    method: 'guided', options: { method: 'guided', guidance: 'aux', coords: 'oracle' },
  },
  {
    label: 'Guided diffusion (coordinates as a condition)',
    detail: 'diffusion with the body-part coordinates as 3 more input channels (condition dropout 0.1; probed without them)',
    method: 'guided', options: { method: 'guided', guidance: 'cond', coords: 'oracle' },
  },
  { label: 'Models Genesis', detail: 'restore the patch from flips, pixel shuffling, Bezier intensity, in- and out-painting', method: 'genesis', options: { method: 'genesis' } },
  { label: 'Contrastive (vox2vec)', detail: 'voxel-level InfoNCE between two overlapping crops of one CT, multi-level features', method: 'contrastive', options: { method: 'contrastive' } },
];

/** Pretraining lengths (the first is the one-minute check that pretraining and the monitor work). */
export const PRETRAIN_LENGTHS = [
  {
    label: 'Smoke test: 40 steps',
    detail: '32×32×16 patches at 6 mm: under a minute on a CPU',
    options: { steps: 40, patch: [32, 32, 16], spacing: [6, 6, 6], 'checkpoint-every': 5 },
  },
  { label: 'Short: 300 steps', detail: 'the CLI\'s patch and spacing', options: { steps: 300 } },
  { label: 'Full: 1000 steps', detail: 'the CLI\'s defaults', options: { steps: 1000 } },
] as const satisfies readonly JobChoice[];

/** Coordinate-model lengths (`anadiff coords train`; the first is the one-minute check that it and the monitor work). */
export const COORDS_LENGTHS = [
  {
    label: 'Smoke test: 30 steps',
    detail: '2 crop pairs of 32×32×32 per step, validated every 10 steps: about a minute on a CPU',
    options: { steps: 30, pairs: 2, patch: [32, 32, 32], 'validate-every': 10, 'checkpoint-every': 10 },
  },
  { label: 'Short: 300 steps', detail: 'the CLI\'s crops (APE\'s, scaled to a CPU)', options: { steps: 300 } },
  { label: 'Full: 1000 steps', detail: 'the CLI\'s defaults', options: { steps: 1000 } },
] as const satisfies readonly JobChoice[];

interface Deps {
  readonly extensionUri: vscode.Uri;
  readonly model: RunsModel;
  readonly jobs: JobManager;
}

function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showErrorMessage(UNTRUSTED_MESSAGE);
  return false;
}

/** The run a command acts on: the tree row it was invoked on, else one picked from the runs with `statuses`. */
async function pickRun(deps: Deps, arg: unknown, statuses: readonly RunStatus[] | undefined, placeHolder: string): Promise<string | undefined> {
  if (typeof arg === 'string' && arg !== '') return arg;
  const runs = deps.model.list().filter((r) => !statuses || statuses.includes(r.summary.status));
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`AnaDiff: no ${statuses ? statuses.join(' or ') + ' ' : ''}runs under ${deps.model.runsRoot ?? 'the workspace'}.`);
    return undefined;
  }
  if (runs.length === 1 && statuses) return runs[0]!.runDir;
  const picked = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: path.basename(r.runDir), description: r.summary.status, runDir: r.runDir })),
    { placeHolder },
  );
  return picked?.runDir;
}

async function newTrainingRun(deps: Deps): Promise<void> {
  if (!requireTrust()) return;
  const target = runsTarget(deps);
  if (!target) return;
  const { folder } = target;
  const dataOptions = await pickData('New Training Run (1/2): data', folder, 'BTCV (img/ + label/), MSD (imagesTr/ + labelsTr/) or X_ct/X_seg pairs; the last case validates', 'Train on this folder');
  if (!dataOptions) return;
  const length = await vscode.window.showQuickPick(RUN_LENGTHS.map((l) => ({ ...l })), {
    title: 'New Training Run (2/2): length (mode scratch, preset tiny)',
    placeHolder: 'Epochs',
  });
  if (!length) return;
  startConfiguredJob(deps, 'train', { ...dataOptions, mode: 'scratch', preset: 'tiny', ...length.options, name: 'tiny' });
}

/** Where a new run goes: the runs root and the workspace folder (a job's cwd); undefined, with a message, without one. */
function runsTarget(deps: Deps): { root: string; folder: vscode.WorkspaceFolder } | undefined {
  const root = deps.model.runsRoot;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (root && folder) return { root, folder };
  void vscode.window.showErrorMessage('AnaDiff: open a folder first: runs are written under its .anadiff/runs.');
  return undefined;
}

/** Asks for the data a job reads: the built-in phantom, or a folder (its CTs, recursively). */
async function pickData(title: string, folder: vscode.WorkspaceFolder, folderDetail: string, openLabel: string): Promise<Record<string, JobOptionValue> | undefined> {
  const data = await vscode.window.showQuickPick(
    [
      { label: 'Phantom', detail: 'the built-in CT phantom with 13 organs', id: 'phantom' as const },
      { label: 'Folder…', detail: folderDetail, id: 'folder' as const },
    ],
    { title, placeHolder: 'Train on' },
  );
  if (!data) return undefined;
  if (data.id === 'phantom') return { phantom: true };
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: folder.uri, openLabel });
  return picked?.[0] ? { data: picked[0].fsPath } : undefined;
}

async function newPretrainingRun(deps: Deps): Promise<void> {
  if (!requireTrust()) return;
  const target = runsTarget(deps);
  if (!target) return;
  const { folder } = target;
  const method = await vscode.window.showQuickPick(PRETRAIN_CHOICES.map((c) => ({ ...c })), { title: 'New Pretraining Run (1/3): method', placeHolder: 'Pretrain with' });
  if (!method) return;
  const dataOptions = await pickData('New Pretraining Run (2/3): data (unlabelled CTs)', folder, 'every CT NIfTI under the folder, recursively (label maps and MRI are skipped)', 'Pretrain on this folder');
  if (!dataOptions) return;
  const length = await vscode.window.showQuickPick(PRETRAIN_LENGTHS.map((l) => ({ ...l })), { title: 'New Pretraining Run (3/3): length (preset tiny)', placeHolder: 'Steps' });
  if (!length) return;
  startConfiguredJob(deps, 'pretrain', { ...method.options, ...dataOptions, preset: 'tiny', ...length.options, name: `pretrain-${method.method}` });
}

async function newCoordinateRun(deps: Deps): Promise<void> {
  if (!requireTrust()) return;
  const target = runsTarget(deps);
  if (!target) return;
  const { folder } = target;
  const dataOptions = await pickData('Train Coordinate Model (1/2): data (unlabelled CTs)', folder, 'every CT NIfTI under the folder, recursively (label maps and MRI are skipped); the last one validates', 'Train on this folder');
  if (!dataOptions) return;
  const length = await vscode.window.showQuickPick(COORDS_LENGTHS.map((l) => ({ ...l })), { title: 'Train Coordinate Model (2/2): length (preset tiny)', placeHolder: 'Steps' });
  if (!length) return;
  startConfiguredJob(deps, 'coords train', { ...dataOptions, preset: 'tiny', ...length.options, name: 'coords' });
}

/**
 * Writes the job's config (`.anadiff/jobs/<run folder>.anadiff-<job>.json`, with the device and threads settings) and
 * runs `anadiff <job> --config FILE --run-dir RUN`. The config stays as a recipe: edit it (the contributed schema
 * completes and checks it) and start it again with Run Job Config.
 */
function startConfiguredJob(deps: Deps, job: ConfigJob, options: Readonly<Record<string, JobOptionValue>>): void {
  const target = runsTarget(deps);
  if (!target) return;
  const settings = loadRunsSettings();
  const runDir = path.join(target.root, runFolderName(String(options.name ?? jobTag(job))));
  const file = path.join(target.folder.uri.fsPath, '.anadiff', 'jobs', `${path.basename(runDir)}${configSuffix(job)}`);
  mkdirSync(path.dirname(file), { recursive: true });
  const config = jobConfig(job, { ...options, device: settings.device, ...(settings.threads ? { threads: settings.threads } : {}) });
  writeTextAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
  startJob(deps, jobTag(job), runDir, [...job.split(' '), '--config', file, '--run-dir', runDir], target.folder.uri.fsPath);
}

/**
 * Run Job Config: starts a `*.anadiff-train.json`, `*.anadiff-pretrain.json` or `*.anadiff-coords.json` (the explorer's
 * or editor's file, else one picked from the workspace). The config is checked here as the CLI checks it, so a
 * malformed one is named before a process starts; its run folder is its `run-dir`, else a new one under the runs root.
 */
async function runJobConfig(deps: Deps, arg: unknown): Promise<void> {
  if (!requireTrust()) return;
  const target = runsTarget(deps);
  if (!target) return;
  let file = arg instanceof vscode.Uri ? arg.fsPath : vscode.window.activeTextEditor?.document.uri.fsPath;
  if (!file || !CONFIG_JOBS.some((job) => file!.endsWith(configSuffix(job)))) {
    const found = await vscode.workspace.findFiles(`**/*{${CONFIG_JOBS.map(configSuffix).join(',')}}`, '**/node_modules/**', 200);
    if (found.length === 0) {
      void vscode.window.showInformationMessage(`AnaDiff: no job configs (${CONFIG_JOBS.map((j) => `*${configSuffix(j)}`).join(', ')}) in the workspace; New Training Run… and the other New … commands write one.`);
      return;
    }
    const picked = await vscode.window.showQuickPick(found.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u), file: u.fsPath })), { placeHolder: 'Run which job config?' });
    if (!picked) return;
    file = picked.file;
  }
  const job = CONFIG_JOBS.find((j) => file!.endsWith(configSuffix(j)))!;
  // the config as the editor shows it: an unsaved edit is saved first, so what runs is what the person sees
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  if (open?.isDirty && !(await open.save())) {
    void vscode.window.showErrorMessage(`AnaDiff: ${path.basename(file)} has unsaved changes that could not be saved; not started.`);
    return;
  }
  let doc: { options?: Record<string, unknown> };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
    jobConfigArgs(doc, job, path.basename(file), (p) => path.resolve(path.dirname(file!), p));
  } catch (error) {
    const why = error instanceof JobConfigError ? error.message : `${path.basename(file)}: ${(error as Error).message}`;
    void vscode.window.showErrorMessage(`AnaDiff: ${why}`);
    return;
  }
  const ownDir = doc.options?.['run-dir'];
  const runDir = typeof ownDir === 'string' ? path.resolve(path.dirname(file), ownDir) : path.join(target.root, runFolderName(String(doc.options?.name ?? jobTag(job))));
  startJob(deps, jobTag(job), runDir, [...job.split(' '), '--config', file, ...(typeof ownDir === 'string' ? [] : ['--run-dir', runDir])], target.folder.uri.fsPath);
}

function startJob(deps: Deps, kind: string, runDir: string, args: readonly string[], cwd: string): void {
  deps.model.ensureRoot();
  const job = deps.jobs.start(kind, runDir, args, cwd);
  deps.model.refresh(runDir);
  // The file watcher is the main source of updates, but one set up on a runs folder created a moment ago can miss its
  // first events (seen in full e2e runs: the tree showed the run only when it had ended). While this editor's own job
  // runs, its folder is also read every 2 s (only new bytes); the timer ends with the job.
  const timer = setInterval(() => deps.model.refresh(runDir), 2_000);
  RunMonitorPanel.show(deps.extensionUri, deps.model, runDir);
  void job.child.done.then((exit) => {
    clearInterval(timer);
    deps.model.refresh(runDir);
    // 130: stopped on request (report.json says "stopped"); anything else but 0 is a failure worth the output's tail
    if (exit.code !== 0 && exit.code !== 130) {
      void vscode.window.showErrorMessage(`AnaDiff: ${kind} of ${path.basename(runDir)} failed (exit ${exit.code ?? exit.signal}): ${exit.stderrTail.split('\n').slice(-3).join(' ')}`);
    }
  });
}

async function stopRun(deps: Deps, arg: unknown): Promise<void> {
  if (!requireTrust()) return;
  const runDir = await pickRun(deps, arg, ['running'], 'Stop which run?');
  if (!runDir) return;
  try {
    const who = deps.jobs.stop(runDir);
    vscode.window.setStatusBarMessage(`AnaDiff: stopping ${path.basename(runDir)} (${who}) after the current step`, 5000);
  } catch (error) {
    void vscode.window.showErrorMessage(`AnaDiff: ${(error as Error).message}`);
  }
}

async function resumeRun(deps: Deps, arg: unknown): Promise<void> {
  if (!requireTrust()) return;
  const runDir = await pickRun(deps, arg, ['stopped', 'stale', 'failed'], 'Resume which run?');
  if (!runDir) return;
  const folder = vscode.workspace.workspaceFolders?.[0];
  const configPath = path.join(runDir, RUN_FILES.config);
  if (!existsSync(configPath)) {
    void vscode.window.showErrorMessage(`AnaDiff: ${path.basename(runDir)} has no config.json: it cannot be resumed.`);
    return;
  }
  let command: readonly string[] | undefined;
  try {
    command = resumeCommandOf(JSON.parse(readFileSync(configPath, 'utf8')));
  } catch (error) {
    void vscode.window.showErrorMessage(`AnaDiff: ${configPath} is not valid JSON (${(error as Error).message}): the run cannot be resumed.`);
    return;
  }
  if (!command) {
    void vscode.window.showErrorMessage(`AnaDiff: ${configPath} is not the config of a training, pretraining or coordinate run: nothing resumes it.`);
    return;
  }
  const settings = loadRunsSettings();
  const args = [...command, '--resume', runDir, '--device', settings.device, ...(settings.threads ? ['--threads', String(settings.threads)] : [])];
  try {
    startJob(deps, 'resume', runDir, args, folder?.uri.fsPath ?? runDir);
  } catch (error) {
    void vscode.window.showErrorMessage(`AnaDiff: ${(error as Error).message}`);
  }
}

/** A finished run's exported model.onnx, or undefined with a message (still running, or a pretraining run). */
function exportedModel(runDir: string): string | undefined {
  const model = path.join(runDir, RUN_FILES.model);
  if (existsSync(model)) return model;
  void vscode.window.showErrorMessage(`AnaDiff: ${path.basename(runDir)} has no model.onnx: a training or coordinate run exports one when it finishes (a pretraining run keeps its backbone in best/).`);
  return undefined;
}

/** Segment with This Model: Segment Organs (its inputs, overwrite question and progress) with this run's model. */
async function segmentWithRun(deps: Deps, arg: unknown): Promise<void> {
  const runDir = await pickRun(deps, arg, ['done'], 'Segment with the model of which run?');
  if (!runDir) return;
  const modelPath = exportedModel(runDir);
  if (!modelPath) return;
  if (deps.model.get(runDir)?.summary.kind === 'coords') {
    void vscode.window.showErrorMessage(`AnaDiff: ${path.basename(runDir)} is a coordinate model: it gives body-part coordinates, not organ labels (anadiff coords predict).`);
    return;
  }
  await vscode.commands.executeCommand(SEGMENT_COMMAND, undefined, undefined, { label: path.basename(runDir), description: 'finished run', modelPath });
}

/**
 * Export ONNX: copies the run's model.onnx where the person says (a segmentation model carries its metadata inside,
 * so the file stands alone; a coordinate model's model.json goes beside it as `<name>.json`, which `coords predict
 * --model <name>.onnx` reads before any model.json there). Read and written without blocking the extension host.
 */
async function exportRunModel(deps: Deps, arg: unknown): Promise<void> {
  const runDir = await pickRun(deps, arg, ['done'], 'Export the model of which run?');
  if (!runDir) return;
  const modelPath = exportedModel(runDir);
  if (!modelPath) return;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(runDir);
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(folder, `${path.basename(runDir)}.onnx`)), filters: { ONNX: ['onnx'] }, title: `Export the model of ${path.basename(runDir)}`,
  });
  if (!target) return;
  if (target.scheme !== 'file') throw new Error(`${target.toString()}: only local files can be written`);
  const coords = deps.model.get(runDir)?.summary.kind === 'coords';
  const sidecar = path.join(path.dirname(target.fsPath), `${path.basename(target.fsPath, '.onnx')}.json`);
  // the save dialog asked before replacing the .onnx; its .json goes with it
  await writeFileAtomicAsync(target.fsPath, await readFile(modelPath), { overwrite: true });
  if (coords) await writeFileAtomicAsync(sidecar, await readFile(path.join(runDir, RUN_FILES.modelInfo)), { overwrite: true });
  vscode.window.setStatusBarMessage(`AnaDiff: exported ${target.fsPath}${coords ? ` and ${path.basename(sidecar)}` : ''}`, 5000);
}

/** Add Runs Folder…: a folder of run folders (a cluster's scratch, another checkout) joins the Runs view. */
async function addRunsFolder(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('AnaDiff: open a folder first: added run folders are kept in its settings.');
    return;
  }
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: folder.uri, openLabel: 'Show its runs', title: 'A folder of run folders' });
  const dir = picked?.[0];
  if (!dir) return;
  if (dir.scheme !== 'file') throw new Error(`${dir.toString()}: only local folders can be watched`);
  const config = vscode.workspace.getConfiguration('anadiff', folder.uri);
  // the folder's own setting (config.get would merge in the user's, which would then be copied into the folder)
  const current = config.inspect<string[]>('runs.extraFolders')?.workspaceFolderValue ?? [];
  if (current.some((f) => path.resolve(folder.uri.fsPath, f) === dir.fsPath)) return;
  // Inside the workspace the setting keeps a relative path, so it travels with the folder.
  const rel = path.relative(folder.uri.fsPath, dir.fsPath);
  const value = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dir.fsPath;
  await config.update('runs.extraFolders', [...current, value], vscode.ConfigurationTarget.WorkspaceFolder);
}

async function deleteRun(deps: Deps, arg: unknown): Promise<void> {
  const runDir = await pickRun(deps, arg, undefined, 'Delete which run?');
  if (!runDir) return;
  if (deps.model.get(runDir)?.summary.status === 'running') {
    void vscode.window.showErrorMessage(`AnaDiff: ${path.basename(runDir)} is running: stop it first.`);
    return;
  }
  const answer = await vscode.window.showWarningMessage(
    `Delete the run folder ${path.basename(runDir)}?`,
    { modal: true, detail: `${runDir}\nIts checkpoints, metrics and model are deleted permanently.` },
    'Delete',
  );
  if (answer !== 'Delete') return;
  await vscode.workspace.fs.delete(vscode.Uri.file(runDir), { recursive: true, useTrash: false });
  deps.model.refresh(runDir);
}

export function registerRunCommands(deps: Deps): vscode.Disposable[] {
  const guard = (fn: (arg: unknown) => Promise<void> | void) => async (arg: unknown) => {
    try {
      await fn(arg);
    } catch (error) {
      void vscode.window.showErrorMessage(`AnaDiff: ${(error as Error).message}`);
    }
  };
  return [
    vscode.commands.registerCommand('anadiff.runs.newTrainingRun', guard(() => newTrainingRun(deps))),
    vscode.commands.registerCommand('anadiff.runs.newPretrainingRun', guard(() => newPretrainingRun(deps))),
    vscode.commands.registerCommand('anadiff.runs.newCoordinateRun', guard(() => newCoordinateRun(deps))),
    vscode.commands.registerCommand('anadiff.jobs.runConfig', guard((arg) => runJobConfig(deps, arg))),
    vscode.commands.registerCommand('anadiff.compare.run', guard(() => comparePretrainingMethods({ jobs: deps.jobs, requireTrust }))),
    vscode.commands.registerCommand('anadiff.runs.openMonitor', guard(async (arg) => {
      const runDir = await pickRun(deps, arg, undefined, 'Monitor which run?');
      if (runDir) RunMonitorPanel.show(deps.extensionUri, deps.model, runDir);
    })),
    vscode.commands.registerCommand('anadiff.runs.stop', guard((arg) => stopRun(deps, arg))),
    vscode.commands.registerCommand('anadiff.runs.resume', guard((arg) => resumeRun(deps, arg))),
    vscode.commands.registerCommand('anadiff.runs.revealFolder', guard(async (arg) => {
      const runDir = await pickRun(deps, arg, undefined, 'Reveal which run?');
      if (!runDir) return;
      const inWorkspace = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(runDir)) !== undefined;
      await vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', vscode.Uri.file(runDir));
    })),
    vscode.commands.registerCommand('anadiff.runs.openConfig', guard(async (arg) => {
      const runDir = await pickRun(deps, arg, undefined, 'Open the config of which run?');
      if (runDir) await vscode.window.showTextDocument(vscode.Uri.file(path.join(runDir, RUN_FILES.config)), { preview: true });
    })),
    vscode.commands.registerCommand('anadiff.runs.delete', guard((arg) => deleteRun(deps, arg))),
    vscode.commands.registerCommand('anadiff.runs.segmentWith', guard((arg) => segmentWithRun(deps, arg))),
    vscode.commands.registerCommand('anadiff.runs.exportOnnx', guard((arg) => exportRunModel(deps, arg))),
    vscode.commands.registerCommand('anadiff.runs.refresh', () => deps.model.refreshAll()),
    vscode.commands.registerCommand('anadiff.runs.addFolder', guard(() => addRunsFolder())),
  ];
}
