/** The firmware's version, from package.json (build.mjs defines __VERSION__). */
export const VERSION: string = __VERSION__;
