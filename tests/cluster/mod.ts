/**
 * A real local Kubernetes control plane for tests. See `cluster.ts` for what
 * runs and the guarantees, and `main.go` for the binary behind it.
 *
 * @module
 */

export {
  type ClientCertificate,
  type Cluster,
  KubectlError,
  serviceCidrs,
  startCluster,
  type StartClusterOptions,
  testNodeName,
  testNodeZone,
} from "./cluster.ts";
export {
  type GoInformer,
  type GoInformerItem,
  goInformerItems,
  type GoInformerOptions,
  startGoInformer,
} from "./go_informer.ts";
export { type DataPlane, DataPlaneTakenError, type NameServer } from "./data_plane.ts";
export { createReadyPod, type ReadyPodOptions, setPodReady } from "./pods.ts";
export { podAnswer, type PodServer, type PodServerOptions, startPodServer } from "./pod_server.ts";
export { dropPackets, type PacketDrop, type PacketDropOptions } from "./packet_drop.ts";
export { addLocalAddress, PrivateNetworkError } from "./private_network.ts";
export { withClusters, type WithClustersOptions } from "./with_clusters.ts";
export { installMcsCrds, mcsCrdNames, mcsCrds, mcsGroup } from "./mcs.ts";
