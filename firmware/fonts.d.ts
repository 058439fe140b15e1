// `import SMALL from "./fonts/small.font"`: tools/fontpack.mjs turns the glyph art into the
// arguments of g.setFontCustom(bitmap, first, widths, height).
declare module "*.font" {
  const font: { bitmap: string; widths: string; height: number; first: number };
  export default font;
}
