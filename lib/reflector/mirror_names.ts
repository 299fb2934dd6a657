/**
 * What a source Service's mirror is called in the host: merged (the
 * Multi-Cluster Services model: one mirror of the Service's own name for
 * every source that exports it) or per source (one mirror per source,
 * named by a template such as `{name}-{source}`), chosen for all Services
 * by `--reflector.name-template` and for one Service by its
 * {@linkcode namingAnnotation}.
 *
 * Every mirror name is a valid DNS-1035 label (a Service name): a rendered
 * name that is not one (longer than 63 characters, or with a source name
 * holding upper case, `_` or `.`, or starting with a digit) is lower-cased,
 * every other character made `-`, cut, and given `-` and the first 10 hex
 * digits of the SHA-256 of what it was rendered from, so that names are
 * stable (a pure function of the template, the Service's name and the
 * source's) and distinct inputs stay distinct.
 *
 * A template over `{name}` and `{source}` can still render two different
 * Services to one name (`a` of source `b-c` and `a-b` of source `c` are
 * both `a-b-c`). Such a name is not shared: it goes to one claimant, as
 * `_name_claims.ts` decides, and the others are reported, never merged.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { cannot } from "../cannot.ts";
import { namingAnnotation } from "../ownership.ts";

export { namingAnnotation };

/** How a source Service is mirrored: one mirror for all sources, or one per source. */
export type NamingMode = "merged" | "per-source";

/** The modes a Service's {@linkcode namingAnnotation} may name. */
export const namingModes: readonly NamingMode[] = ["merged", "per-source"];

/** The template of the original's names, and of merged mirrors. */
export const mergedTemplate = "{name}";
/** The template of per-source mirrors when the Reflector's template has no `{source}`. */
export const perSourceTemplate = "{name}-{source}";

const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const maxLabel = 63;
const hashLength = 10;
const templateText = /^([-a-z0-9]|\{name\}|\{source\})+$/;

/** A name template that cannot be used; `reason` follows "as" in the message. */
export class NameTemplateError extends TypeError {
  /** Why the template cannot be used. */
  readonly reason: string;

  /** The message is `Cannot use name template as <reason>: current value is <template>`. */
  constructor(template: string, reason: string) {
    super(cannot("use name template", reason, template));
    this.name = "NameTemplateError";
    this.reason = reason;
  }
}

/**
 * Checks `template`: `{name}` once, `{source}` at most once, and otherwise
 * only lower-case letters, digits and `-`.
 *
 * @throws {NameTemplateError} When it is not such a template.
 */
export function checkNameTemplate(template: string): string {
  const count = (placeholder: string) => template.split(placeholder).length - 1;
  if (!templateText.test(template)) {
    throw new NameTemplateError(
      template,
      "it may hold only {name}, {source}, lower-case letters, digits and -",
    );
  }
  if (count("{name}") !== 1) throw new NameTemplateError(template, "it must hold {name} once");
  if (count("{source}") > 1) {
    throw new NameTemplateError(template, "it may hold {source} at most once");
  }
  return template;
}

/** The mirror naming of a Reflector. */
export class MirrorNaming {
  readonly #template: string;

  /** Names mirrors by `template` (checked by {@linkcode checkNameTemplate}); defaults to merged. */
  constructor(template: string = mergedTemplate) {
    this.#template = checkNameTemplate(template);
  }

  /** `service`'s mode: its annotation's, else per source exactly when the template holds `{source}`. */
  mode(service: Service): NamingMode {
    const chosen = service.metadata?.annotations?.[namingAnnotation];
    if (chosen === "merged" || chosen === "per-source") return chosen;
    return this.#template.includes("{source}") ? "per-source" : "merged";
  }

  /**
   * The mirror name of `service` as exported by `source`: the template's
   * rendering unless the Service's annotation chose otherwise (merged is
   * the Service's own name; per source is the template, or
   * {@linkcode perSourceTemplate} when the template has no `{source}`).
   */
  name(service: Service, source: string): string {
    const name = service.metadata?.name ?? "";
    const chosen = service.metadata?.annotations?.[namingAnnotation];
    const template = chosen === "merged"
      ? mergedTemplate
      : chosen === "per-source" && !this.#template.includes("{source}")
      ? perSourceTemplate
      : this.#template;
    return rendered(template, name, source);
  }

  /**
   * Who claims the mirror name of `service` from `source`: every source's
   * merged Service of one name is one claimant (they merge); a per-source
   * Service claims alone.
   */
  claimant(service: Service, source: string): string {
    const name = service.metadata?.name ?? "";
    return this.mode(service) === "merged" ? `merged ${name}` : `${source}/${name}`;
  }
}

/** `template` rendered for `name` and `source`, made a DNS-1035 label (see the module doc). */
export function rendered(template: string, name: string, source: string): string {
  const text = template.replace("{name}", name).replace("{source}", source);
  if (text.length <= maxLabel && dns1035.test(text)) return text;
  const hash = createHash("sha256").update(`${template}\n${name}\n${source}`).digest("hex")
    .slice(0, hashLength);
  const prefix = text.toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, maxLabel - hashLength - 1)
    .replace(/-+$/, "");
  return prefix === "" ? `m${hash}` : `${prefix}-${hash}`;
}
