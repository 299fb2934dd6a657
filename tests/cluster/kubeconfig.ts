/**
 * Writes kubeconfig files for the test control plane, referencing the PEM
 * files by path the way kubeadm's admin.conf does with `-data` fields.
 *
 * @module
 */

import { stringify } from "yaml";

/** What one kubeconfig context points at. */
export interface KubeconfigEntry {
  /** Cluster, user and context name. */
  name: string;
  /** API server URL. */
  server: string;
  /** Path of the CA bundle that signs the server's certificate. */
  caPath: string;
  /** Path of the client certificate. */
  certPath: string;
  /** Path of the client certificate's private key. */
  keyPath: string;
}

/** Renders a single-context kubeconfig whose current context is `entry.name`. */
export function renderKubeconfig(entry: KubeconfigEntry): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: entry.name,
      cluster: { server: entry.server, "certificate-authority": entry.caPath },
    }],
    users: [{
      name: entry.name,
      user: { "client-certificate": entry.certPath, "client-key": entry.keyPath },
    }],
    contexts: [{ name: entry.name, context: { cluster: entry.name, user: entry.name } }],
    "current-context": entry.name,
  });
}
