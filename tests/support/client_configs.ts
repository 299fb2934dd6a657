/**
 * ClientConfigs for a test cluster, built directly from its files so that
 * tests of the transport and REST layers do not depend on the kubeconfig
 * loader (which has tests of its own).
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";
import {
  type ClientConfig,
  type CredentialProvider,
  type Credentials,
  staticCredentials,
} from "../../lib/kube/config/client_config.ts";

/** Admin access by client certificate. */
export function adminConfig(cluster: Cluster): ClientConfig {
  return {
    server: new URL(cluster.server),
    caCerts: [cluster.ca],
    credentials: staticCredentials({ clientCertificate: cluster.admin }),
    origin: `test cluster ${cluster.name}`,
  };
}

/** Access with a bearer token and no client certificate. */
export function tokenConfig(cluster: Cluster, token: string): ClientConfig {
  return { ...adminConfig(cluster), credentials: staticCredentials({ token }) };
}

/** A provider that counts its calls: one `get` per HTTP request sent. */
export class CountingCredentials implements CredentialProvider {
  gets = 0;
  invalidations = 0;
  readonly #credentials: Credentials;

  constructor(credentials: Credentials) {
    this.#credentials = credentials;
  }

  get(): Promise<Credentials> {
    this.gets++;
    return Promise.resolve(this.#credentials);
  }

  invalidate(): void {
    this.invalidations++;
  }
}
