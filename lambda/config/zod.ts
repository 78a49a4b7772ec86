/**
 * The runtime's zod: `zod/mini`, the tree-shakable form of zod 4 (same core, same parser, same
 * issues; checks are functions instead of methods). Full `zod` is ~450 KB minified and ~25 ms
 * to import on a cold Lambda; the part of zod/mini that the schemas use is a fraction of it.
 *
 * Import it as `import * as z from '../config/zod'` and use members only (`z.string()`):
 * never pass the namespace around as a value, or the bundler has to keep all of zod.
 *
 * zod/mini loads no locale by itself (every message would be "Invalid input"): English is
 * registered here, once, so the messages are exactly those of full zod. Every schema module
 * imports this file, never 'zod' or 'zod/mini' directly. Zod's JSON Schema emitter works on
 * these schemas (`z.toJSONSchema`, or `toJSONSchema` from 'zod/v4/core').
 */
import { config, globalConfig } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

// Only the locale; never replace one that a process (e.g. full zod elsewhere) already set.
if (!globalConfig.localeError) config(en());

export * from 'zod/mini';
