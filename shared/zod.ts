import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * zod for everything that goes into a Lambda bundle: `zod/mini` (functions, not methods, so a bundle
 * carries only the checks it uses: about 20 KiB instead of about 95 KiB for classic zod). Mini ships
 * no messages of its own, so the English locale is configured here, once, before any schema in
 * shared/ or functions/ can parse: every one of them imports `z` from this module. The messages are
 * classic zod's, word for word (classic configures the same locale).
 *
 * Import it as `import * as z from '<path>/zod'` and use only property accesses (`z.string()`), so
 * esbuild keeps just what is used; never re-export the namespace as a value, which would pull in all
 * of zod and every locale. Generic helpers take `z.core.$ZodType`, the base of mini and classic
 * schemas alike, and parse with `z.parse` / `z.safeParse`.
 */
config(en());

export * from 'zod/mini';
