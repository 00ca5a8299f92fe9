/**
 * Standalone SVG text, shared by every figure anadiff writes (the compare report's plots, the run monitor's exported
 * charts): escaping, coordinates at 0.1 px, the document frame.
 */
export const escapeSvg = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const svgNumber = (x: number): string => (Math.round(x * 10) / 10).toString();

/** An SVG document of `width` x `height` px on a `background` rectangle (white: figures are read on any theme). */
export function svgDocument(width: number, height: number, body: readonly string[], background = 'white'): string {
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="${background}"/>`, ...body, '</svg>', ''].join('\n');
}
