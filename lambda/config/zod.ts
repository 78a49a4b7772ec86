/**
 * The runtime's zod: `zod/mini`, the tree-shakable form of zod 4 (same core, same parser, same
 * issues; checks are functions instead of methods). Full `zod` is ~450 KB minified and ~25 ms
 * to import on a cold Lambda; what the schemas here use of zod/mini is a small fraction of it.
 *
 * zod/mini loads no locale by itself (every message would be "Invalid input"): English is
 * registered here, once, so the messages are exactly those of full zod. Every schema module
 * imports `z` from this file, never from 'zod' or 'zod/mini' directly. Zod's JSON Schema
 * emitter works on these schemas (`z.toJSONSchema`).
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// Only the locale; never replace one that a process (e.g. full zod elsewhere) already set.
if (!z.core.globalConfig.localeError) z.config(en());

export { z };
