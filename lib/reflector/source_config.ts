/**
 * What a user configures for one source, whether by flags or by an entry
 * of the sources file: its name, how to reach it, what it exports, its
 * bounds. Runtime wiring (clocks, observers, how the host names things) is
 * never part of it, so two equal configs run the same source.
 *
 * @module
 */

import type { ClientConfig } from "../kube/config/client_config.ts";
import type { SourceLimits } from "./source_limits.ts";

/** One source, as configured. */
export interface SourceConfig {
  /** Source name: a label value naming the source on every object written for it. */
  name: string;
  /** How to reach the source. */
  config: ClientConfig;
  /** Label selector on the source's Services (`--reflector.selector`). */
  selector: string;
  /** Only this namespace of the source; omitted for all. */
  namespace?: string;
  /** Bounds on what the source may send; each omitted one is its default. */
  limits?: Partial<SourceLimits>;
  /**
   * Changes whenever the source's configuration changes in a way the other
   * fields do not show (e.g. the text of its kubeconfig, whose credentials
   * are opaque in `config`). A source whose config and revision are
   * unchanged goes on running when the Reflector's sources are updated.
   */
  revision?: string;
}

/**
 * What identifies a source's configuration: two configs with the same
 * fingerprint run the same source. The client config's credentials are
 * opaque here; `revision` is how a caller tells that they changed.
 */
export function sourceFingerprint(source: SourceConfig): string {
  const { name, config, selector, namespace, limits, revision } = source;
  return JSON.stringify({
    name,
    server: config.server.href,
    caCerts: config.caCerts,
    origin: config.origin,
    selector,
    namespace,
    limits,
    revision,
  });
}
