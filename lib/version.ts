/**
 * The release version, read from deno.json so that one place defines it.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/** service-reflector's version, e.g. `0.1.0`. */
export const version: string = config.version;
