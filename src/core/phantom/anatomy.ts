/**
 * The phantom's anatomy in RAS millimetres around the body centre (x to the patient's Right, y Anterior,
 * z Superior), painted in this order so later structures win. Labels use BTCV-13 numbering.
 * HU values are non-contrast CT averages (liver ~60, spleen ~45, kidney ~30, blood ~40, fat ~-100, bone 250-700).
 */
import { BTCV13_LABELS } from '../btcv.js';

export { BTCV13_LABELS };

export interface Shape {
  readonly kind: 'ellipsoid' | 'cylinder';
  readonly center: readonly [number, number, number];
  /** Semi-axes in mm; a cylinder uses x and y, and z is half its length. */
  readonly radii: readonly [number, number, number];
  readonly hu: number;
  /** 0 for unlabelled tissue (fat, muscle, bone); it also clears an organ label painted earlier. */
  readonly label: number;
}

const L = BTCV13_LABELS;
const ellipsoid = (center: Shape['center'], radii: Shape['radii'], hu: number, label: number): Shape => ({ kind: 'ellipsoid', center, radii, hu, label });
const cylinder = (center: Shape['center'], radii: Shape['radii'], hu: number, label: number): Shape => ({ kind: 'cylinder', center, radii, hu, label });

/** Field of view the grid covers (mm): x, y, z. */
export const FIELD_OF_VIEW: readonly [number, number, number] = [400, 320, 300];

export const ANATOMY: readonly Shape[] = [
  cylinder([0, 0, 0], [170, 120, 200], -100, 0), // body outline: subcutaneous fat
  cylinder([0, 0, 0], [150, 104, 200], 50, 0), // abdominal wall muscle
  cylinder([0, 0, 0], [140, 95, 200], -60, 0), // visceral fat and bowel
  ellipsoid([0, -75, 0], [55, 25, 200], 55, 0), // paraspinal muscles
  ellipsoid([75, 5, 95], [80, 75, 65], 60, L.liver),
  ellipsoid([-90, -30, 80], [35, 50, 45], 45, L.spleen),
  ellipsoid([-45, 40, 90], [55, 40, 40], 25, L.stomach),
  ellipsoid([-45, 62, 105], [35, 14, 18], -950, L.stomach), // air in the stomach's anterior fundus
  ellipsoid([55, 30, 30], [16, 18, 30], 10, L.gallbladder),
  ellipsoid([65, -50, 5], [28, 32, 55], 30, L.rightKidney),
  ellipsoid([-65, -50, 15], [28, 32, 55], 30, L.leftKidney),
  ellipsoid([-10, -5, 40], [70, 14, 13], 40, L.pancreas),
  ellipsoid([20, -12, 55], [35, 8, 8], 45, L.portalSplenicVein),
  ellipsoid([45, -45, 68], [8, 12, 15], 25, L.rightAdrenal),
  ellipsoid([-45, -45, 72], [8, 12, 15], 25, L.leftAdrenal),
  cylinder([-18, -38, 0], [12, 12, 200], 42, L.aorta),
  cylinder([25, -35, 0], [11, 13, 200], 38, L.ivc),
  cylinder([-12, -25, 135], [9, 9, 15], 40, L.esophagus),
  cylinder([-12, -25, 135], [3, 3, 15], -900, L.esophagus), // air in the oesophageal lumen
  cylinder([0, -68, 0], [22, 20, 200], 700, 0), // vertebral body: cortical shell
  cylinder([0, -68, 0], [18, 16, 200], 250, 0), // vertebral body: cancellous bone
  cylinder([0, -98, 0], [9, 8, 200], 15, 0), // spinal canal
  ellipsoid([0, -118, 0], [6, 14, 200], 600, 0), // spinous process
];
