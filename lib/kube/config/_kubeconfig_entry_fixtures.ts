/**
 * Test fixtures of the kubeconfig loader's tests (kept out of the build
 * context, like every `_fixtures.ts`): list items of a kubeconfig document.
 *
 * @module
 */

/** A `clusters:` item naming `server`. */
export function clusterItem(
  server: string,
  name: string,
): { name: string; cluster: { server: string } } {
  return { name, cluster: { server } };
}

/** A `contexts:` item for cluster `clusterName` (default: `name`), without a user. */
export function contextItem(
  name: string,
  clusterName: string = name,
): { name: string; context: { cluster: string } } {
  return { name, context: { cluster: clusterName } };
}
