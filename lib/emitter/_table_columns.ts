/**
 * The column definitions kube-apiserver sends with Tables of Services,
 * Endpoints and EndpointSlices (pkg/printers/internalversion). Names keep
 * the apiserver's case (kubectl upper-cases them); every column is a
 * `string`, AGE included, and only the Service SELECTOR column has
 * priority 1 (kubectl shows it with `-o wide`). The descriptions are the
 * API field docs the apiserver copies, verbatim as v1.37 sends them.
 *
 * @module
 */

/** One column of a Table, as `meta.k8s.io/v1` TableColumnDefinition. */
export interface TableColumnDefinition {
  /** Human-readable name; kubectl upper-cases it for the header, e.g. `Cluster-IP`. */
  name: string;
  /** OpenAPI type of the cells: every column here is `string`. */
  type: string;
  /** OpenAPI format: `name` marks the object's name column, otherwise empty. */
  format: string;
  /** What the column holds (the API field's documentation). */
  description: string;
  /** 0 for columns always shown; higher for `-o wide` only. */
  priority: number;
}

const describe = {
  name:
    "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
  serviceType:
    'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types',
  clusterIP:
    'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
  externalIPs:
    "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.",
  ports:
    "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies",
  creationTimestamp:
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  selector:
    "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/",
  subsets:
    "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.",
  addressType:
    'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name. (Deprecated) The EndpointSlice controller only generates, and kube-proxy only processes, slices of addressType "IPv4" and "IPv6". No semantics are defined for the "FQDN" type.',
  slicePorts:
    "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. Each slice may include a maximum of 100 ports. Services always have at least 1 port, so EndpointSlices generated by the EndpointSlice controller will likewise always have at least 1 port. EndpointSlices used for other purposes may have an empty ports list.",
  sliceEndpoints:
    "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.",
};

function column(name: string, description: string, priority = 0): TableColumnDefinition {
  return { name, type: "string", format: name === "Name" ? "name" : "", description, priority };
}

/** The NAME column every Table starts with, a custom resource's too. */
export const nameColumn: Readonly<TableColumnDefinition> = column("Name", describe.name);

/** The apiserver's layout for these kinds: NAME, the kind's own columns, AGE, then `-o wide` ones. */
function columns(
  own: TableColumnDefinition[],
  wide: TableColumnDefinition[] = [],
): readonly TableColumnDefinition[] {
  return [
    { ...nameColumn },
    ...own,
    column("Age", describe.creationTimestamp),
    ...wide,
  ];
}

/** Columns of a Service Table: NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE, SELECTOR. */
export const serviceColumns: readonly TableColumnDefinition[] = columns([
  column("Type", describe.serviceType),
  column("Cluster-IP", describe.clusterIP),
  column("External-IP", describe.externalIPs),
  column("Port(s)", describe.ports),
], [column("Selector", describe.selector, 1)]);

/** Columns of an Endpoints Table: NAME, ENDPOINTS, AGE. */
export const endpointsColumns: readonly TableColumnDefinition[] = columns([
  column("Endpoints", describe.subsets),
]);

/** Columns of an EndpointSlice Table: NAME, ADDRESSTYPE, PORTS, ENDPOINTS, AGE. */
export const endpointSliceColumns: readonly TableColumnDefinition[] = columns([
  column("AddressType", describe.addressType),
  column("Ports", describe.slicePorts),
  column("Endpoints", describe.sliceEndpoints),
]);
