// NiiVue behind a small interface: the rest of the webview speaks layouts, windows and label tables, and never
// touches NiiVue's option names or enums. Owns the one Niivue instance (created once per webview).
import { DRAG_MODE, MULTIPLANAR_TYPE, Niivue, NVImage, SHOW_RENDER, SLICE_TYPE } from '@niivue/niivue';
import { toNiivueLabelColormap, type LabelEntry } from '../../src/core/viewer/color-tables.js';
import type { DisplayRange } from '../../src/core/viewer/window.js';
import type { Tile } from '../../src/core/viewer/multiplanar.js';
import type { Layout, VolumeGeometry, VoxelType } from '../../src/protocol/viewer.js';

const SLICE_TYPES: Record<Layout, SLICE_TYPE> = {
  axial: SLICE_TYPE.AXIAL,
  coronal: SLICE_TYPE.CORONAL,
  sagittal: SLICE_TYPE.SAGITTAL,
  multiplanar: SLICE_TYPE.MULTIPLANAR,
};
/** The smallest size of NiiVue's text (orientation letters) in CSS px. */
export const ORIENTATION_LETTER_MIN_CSS_PX = 16;
const NIFTI_CODES: Record<VoxelType, number> = { uint8: 2, int16: 4, float32: 16 };

/** NiiVue's crosshair event, reduced to what the readout needs. */
export interface Location {
  /** World position in mm (RAS). */
  readonly mm: readonly [number, number, number];
  /** Crosshair as fractions of the volume (what view state stores). */
  readonly frac: readonly [number, number, number];
  /** Value of each layer at the crosshair: [image, overlay?]. */
  readonly values: readonly number[];
  /** 0 axial, 1 coronal, 2 sagittal: the tile the user last clicked, if known. */
  readonly plane: number | null;
}

export interface ViewOptions {
  readonly background: [number, number, number, number];
  readonly crosshair: [number, number, number, number];
  readonly layout: Layout;
  readonly radiological: boolean;
  readonly onLocation: (location: Location) => void;
  /** The user dragged the window with the right mouse button (NiiVue changed cal_min/cal_max itself). */
  readonly onWindowDragged: (range: DisplayRange) => void;
}

export class VolumeView {
  private readonly nv: Niivue;
  private overlay: NVImage | null = null;
  private overlayLabels: readonly LabelEntry[] = [];

  private constructor(nv: Niivue) {
    this.nv = nv;
  }

  static async attach(canvas: HTMLCanvasElement, options: ViewOptions): Promise<VolumeView> {
    const nv = new Niivue({
      backColor: options.background,
      crosshairColor: options.crosshair,
      crosshairWidth: 1,
      isColorbar: false,
      isOrientCube: false,
      show3Dcrosshair: false,
      // The 3D render tile costs seconds per frame under software WebGL and adds little to reading slices.
      multiplanarShowRender: SHOW_RENDER.NEVER,
      // A 2x2 grid keeps the three planes large whatever the editor's aspect ratio (AUTO stacks them in a thin column).
      multiplanarLayout: MULTIPLANAR_TYPE.GRID,
      isRadiologicalConvention: options.radiological,
      sliceType: SLICE_TYPES[options.layout],
      dragAndDropEnabled: false,
      // Left click/drag moves the crosshair, right drag changes the window, middle drag (or shift+left) pans.
      dragMode: DRAG_MODE.windowing,
      mouseEventConfig: { leftButton: { primary: DRAG_MODE.crosshair, withShift: DRAG_MODE.pan }, rightButton: DRAG_MODE.windowing, centerButton: DRAG_MODE.pan },
      // Orientation letters and other text: at least this many CSS px, whatever the canvas size or zoom (NiiVue
      // multiplies by the device pixel ratio; `textHeight`, a fraction of the canvas, gave 6 px letters on small tiles).
      fontMinPx: ORIENTATION_LETTER_MIN_CSS_PX,
      loadingText: '',
      logLevel: 'warn',
    });
    await nv.attachToCanvas(canvas);
    skipGradientPasses(nv);
    const view = new VolumeView(nv);
    nv.onLocationChange = (raw: unknown) => {
      const loc = raw as { mm: ArrayLike<number>; frac: ArrayLike<number>; values: { value: number }[]; axCorSag?: number };
      options.onLocation({
        mm: [Number(loc.mm[0]), Number(loc.mm[1]), Number(loc.mm[2])],
        frac: [Number(loc.frac[0]), Number(loc.frac[1]), Number(loc.frac[2])],
        values: loc.values.map((v) => v.value),
        plane: typeof loc.axCorSag === 'number' && loc.axCorSag >= 0 && loc.axCorSag <= 2 ? loc.axCorSag : null,
      });
    };
    nv.onMouseUp = () => {
      const back = nv.volumes[0];
      if (back && Number.isFinite(back.cal_min) && Number.isFinite(back.cal_max)) options.onWindowDragged({ min: back.cal_min as number, max: back.cal_max as number });
    };
    return view;
  }

  /** Shows the image: wraps the host's voxels in an uncompressed NIfTI (no inflate here) with the host's affine. */
  async showImage(name: string, geometry: VolumeGeometry, voxelType: VoxelType, voxels: ArrayBuffer, window: DisplayRange, colormap: string, onParsed?: () => void): Promise<void> {
    const image = await this.toNvImage(name, geometry, voxelType, voxels, { colormap, cal_min: window.min, cal_max: window.max });
    onParsed?.();
    this.nv.addVolume(image);
  }

  async showOverlay(name: string, geometry: VolumeGeometry, voxelType: VoxelType, voxels: ArrayBuffer, labels: readonly LabelEntry[], hidden: ReadonlySet<number>, opacity: number): Promise<void> {
    if (this.overlay) this.nv.removeVolume(this.overlay);
    const image = await this.toNvImage(name, geometry, voxelType, voxels, { colormap: 'gray', opacity });
    image.setColormapLabel(toNiivueLabelColormap(labels, hidden));
    this.overlay = image;
    this.overlayLabels = labels;
    this.nv.addVolume(image);
    this.nv.setOpacity(1, opacity);
  }

  setHiddenLabels(hidden: ReadonlySet<number>): void {
    if (!this.overlay) return;
    this.overlay.setColormapLabel(toNiivueLabelColormap(this.overlayLabels, hidden));
    this.nv.updateGLVolume();
  }

  setOverlayOpacity(opacity: number): void {
    if (this.overlay) this.nv.setOpacity(1, opacity);
  }

  /** Changing cal_min/cal_max re-renders the volume texture (seconds for a large CT under software WebGL). */
  setWindow(range: DisplayRange): void {
    const back = this.nv.volumes[0];
    if (!back) return;
    back.cal_min = range.min;
    back.cal_max = range.max;
    this.nv.updateGLVolume();
  }

  setColormap(name: string): void {
    const back = this.nv.volumes[0];
    if (back) this.nv.setColormap(back.id, name);
  }

  colormaps(): string[] {
    return this.nv.colormaps();
  }

  setLayout(layout: Layout): void {
    // A custom layout wins over the slice type in NiiVue: single planes go back to NiiVue's own full-canvas tile.
    if (layout !== 'multiplanar') this.nv.clearCustomLayout();
    this.nv.setSliceType(SLICE_TYPES[layout]);
  }

  /** Places the multiplanar tiles (CSS px of a `stageW` x `stageH` canvas, from core/viewer/multiplanar). */
  setTiles(tiles: readonly Tile[], stageW: number, stageH: number): void {
    if (tiles.length === 0 || stageW <= 0 || stageH <= 0) return;
    this.nv.setCustomLayout(
      tiles.map((t) => ({
        sliceType: SLICE_TYPES[t.plane],
        position: [t.rect.x / stageW, t.rect.y / stageH, t.rect.w / stageW, t.rect.h / stageH] as [number, number, number, number],
      })),
    );
  }

  /** The size NiiVue draws its orientation letters at, in CSS px (its font size is in device pixels). */
  orientationLetterCssPx(): number {
    const fontPx = (this.nv as unknown as { fontPx?: number }).fontPx ?? 0;
    return fontPx / (this.nv.uiData.dpr || window.devicePixelRatio || 1);
  }

  setRadiological(on: boolean): void {
    this.nv.setRadiologicalConvention(on);
  }

  /** Moves the crosshair to fractions of the volume (restoring a saved view). */
  setCrosshairFrac(frac: readonly [number, number, number]): void {
    this.nv.scene.crosshairPos = [frac[0], frac[1], frac[2]] as unknown as typeof this.nv.scene.crosshairPos;
    this.nv.drawScene();
    this.nv.createOnLocationChange();
  }

  /** One slice along the plane's normal: axial moves S, coronal A, sagittal R (canonical voxel steps). */
  step(plane: number, delta: number): void {
    const move: [number, number, number] = plane === 0 ? [0, 0, delta] : plane === 1 ? [0, delta, 0] : [delta, 0, 0];
    this.nv.moveCrosshairInVox(move[0], move[1], move[2]);
  }

  /** Zoom about the crosshair; factor > 1 zooms in. */
  zoom(factor: number): void {
    const pan = this.nv.scene.pan2Dxyzmm;
    this.nv.setPan2Dxyzmm([pan[0] as number, pan[1] as number, pan[2] as number, Math.min(16, Math.max(0.25, (pan[3] as number) * factor))]);
  }

  resetZoom(): void {
    this.nv.setPan2Dxyzmm([0, 0, 0, 1]);
  }

  /** Follows a theme change (NiiVue paints its own background and crosshair). */
  setColours(background: [number, number, number, number], crosshair: [number, number, number, number]): void {
    this.nv.opts.backColor = background;
    this.nv.opts.crosshairColor = crosshair;
    this.nv.drawScene();
  }

  redraw(): void {
    this.nv.drawScene();
  }

  /**
   * Returns once the GPU has finished every queued command (a one-pixel read-back blocks until then). WebGL calls
   * only queue work: without this, "shown" would be stamped while software WebGL still builds textures for seconds.
   */
  finishGpuWork(): void {
    const gl = this.nv.gl;
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
  }

  private async toNvImage(name: string, g: VolumeGeometry, voxelType: VoxelType, voxels: ArrayBuffer, opts: { colormap: string; cal_min?: number; cal_max?: number; opacity?: number }): Promise<NVImage> {
    const typed = voxelType === 'uint8' ? new Uint8Array(voxels) : voxelType === 'int16' ? new Int16Array(voxels) : new Float32Array(voxels);
    const nifti = NVImage.createNiftiArray([...g.dims], [...g.spacing], [...g.ijkToRas], NIFTI_CODES[voxelType], typed);
    const niiName = name.replace(/\.nii(\.gz)?$/i, '') + '.nii';
    return NVImage.loadFromUrl({
      url: niiName,
      name: niiName,
      buffer: nifti.buffer as ArrayBuffer,
      colormap: opts.colormap,
      opacity: opts.opacity ?? 1,
      trustCalMinMax: true,
      ...(opts.cal_min !== undefined && opts.cal_max !== undefined ? { cal_min: opts.cal_min, cal_max: opts.cal_max } : {}),
    });
  }
}

/** The parts of NiiVue's instance that `skipGradientPasses` hooks (internal fields, hence checked at run time). */
interface ShaderLike {
  use(gl: WebGL2RenderingContext): void;
}

/**
 * NiiVue computes a gradient texture (a blur pass and a Sobel pass over every voxel) each time the background
 * volume is (re)built: on load and on every window change. Only the 3D render tile's lighting reads it, and the
 * viewer never shows that tile. Under software WebGL the two passes cost 15-20 s for a 512x512x300 CT (measured),
 * more than everything else together. The passes still run, but inside a 1x1 scissor box, so no fragment is
 * shaded: the gradient's first shader switches the scissor on, and the pass's closing `bindFramebuffer(null)`
 * switches it off again. If NiiVue's internals change (no such shaders), nothing is hooked and the viewer is
 * only slower.
 */
function skipGradientPasses(nv: Niivue): void {
  const gl = nv.gl;
  const internals = nv as unknown as Record<string, unknown>;
  const passStarters = ['blurShader', 'gradientPrePassShader']
    .map((name) => internals[name])
    .filter((s): s is ShaderLike => typeof s === 'object' && s !== null && typeof (s as ShaderLike).use === 'function');
  if (passStarters.length === 0) return;
  let inGradientPass = false;
  for (const shader of passStarters) {
    const use = shader.use.bind(shader);
    shader.use = (context) => {
      inGradientPass = true;
      context.enable(context.SCISSOR_TEST);
      context.scissor(0, 0, 1, 1);
      use(context);
    };
  }
  const bindFramebuffer = gl.bindFramebuffer.bind(gl);
  gl.bindFramebuffer = (target: GLenum, framebuffer: WebGLFramebuffer | null): void => {
    bindFramebuffer(target, framebuffer);
    if (inGradientPass && framebuffer === null) {
      inGradientPass = false;
      gl.disable(gl.SCISSOR_TEST);
    }
  };
}
