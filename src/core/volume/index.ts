export * from './mat4.js';
export * from './orientation.js';
