/**
 * The shape of the source objects the Reflector reads, checked before
 * anything is derived from them. A source is not trusted: its Services,
 * EndpointSlices and Endpoints come over the wire as any JSON, and the
 * desired-state functions (`desired.ts` and its `_desired_*.ts` parts)
 * assume the types `kubernetes-types` declares.
 *
 * Contract: each check takes any value and returns the problems found (at
 * most `maxProblems`), never throws. An object without problems holds, in
 * every field the Reflector reads, a value of the declared type that the
 * host accepts where it is copied: names and namespaces are DNS names,
 * label and annotation keys are keys and label values are values, ports
 * are integers from 1 to 65535, slice addresses are IPs of the slice's
 * address type. Fields the Reflector never reads are not looked at.
 *
 * Null stands for "absent" only where the readers treat it so (lists and
 * objects read through `??`), as Go servers send `"endpoints": null`.
 *
 * @module
 */

import {
  ip,
  isRecord,
  oneOf,
  Problems,
  type ShapeProblem,
  type Test,
  test,
  tests,
} from "./_shape_checks.ts";

export { describeProblems, maxProblems, type ShapeProblem } from "./_shape_checks.ts";

const nullable = { nullable: true };

/** The problems of a source Service, in the fields `mirrorService` and the Source read. */
export function serviceProblems(service: unknown): readonly ShapeProblem[] {
  const problems = new Problems();
  if (!problems.required("", service, tests.record)) return problems.list;
  const { metadata, spec } = service as Record<string, unknown>;
  checkMetadata(problems, metadata, tests.dns1035Label);
  if (!problems.optional("spec", spec, tests.record, nullable)) return problems.list;
  const fields = spec as Record<string, unknown>;
  const type = fields["type"];
  problems.optional(
    "spec.type",
    type,
    oneOf("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
  );
  problems.optional(
    "spec.externalName",
    fields["externalName"],
    type === "ExternalName" ? tests.subdomain : tests.string,
  );
  problems.optional("spec.clusterIP", fields["clusterIP"], tests.string);
  eachOf(problems, "spec.ports", fields["ports"], false, (path, port) => {
    problems.optional(`${path}.name`, port["name"], tests.portName);
    problems.optional(`${path}.protocol`, port["protocol"], tests.protocol);
    problems.required(`${path}.port`, port["port"], tests.port);
    problems.optional(`${path}.appProtocol`, port["appProtocol"], tests.string);
  });
  if (problems.optional("spec.ipFamilies", fields["ipFamilies"], tests.array)) {
    (fields["ipFamilies"] as unknown[]).forEach((family, index) =>
      problems.required(`spec.ipFamilies[${index}]`, family, oneOf("IPv4", "IPv6"))
    );
  }
  problems.optional(
    "spec.ipFamilyPolicy",
    fields["ipFamilyPolicy"],
    oneOf("SingleStack", "PreferDualStack", "RequireDualStack"),
  );
  problems.optional("spec.sessionAffinity", fields["sessionAffinity"], oneOf("ClientIP", "None"));
  checkAffinityConfig(problems, fields["sessionAffinityConfig"]);
  problems.optional(
    "spec.publishNotReadyAddresses",
    fields["publishNotReadyAddresses"],
    tests.boolean,
  );
  problems.optional(
    "spec.internalTrafficPolicy",
    fields["internalTrafficPolicy"],
    oneOf("Cluster", "Local"),
  );
  problems.optional("spec.trafficDistribution", fields["trafficDistribution"], tests.string);
  return problems.list;
}

/**
 * The problems of a source ServiceExport (Multi-Cluster Services API), in
 * the fields the Source and the import read: its name and namespace (the
 * Service it exports), and the labels and annotations it has travel.
 */
export function serviceExportProblems(serviceExport: unknown): readonly ShapeProblem[] {
  const problems = new Problems();
  if (!problems.required("", serviceExport, tests.record)) return problems.list;
  const { metadata, spec } = serviceExport as Record<string, unknown>;
  checkMetadata(problems, metadata, tests.dns1035Label);
  if (!problems.optional("spec", spec, tests.record, nullable)) return problems.list;
  const fields = spec as Record<string, unknown>;
  checkMap(problems, "spec.exportedLabels", fields["exportedLabels"], labelMap);
  checkMap(problems, "spec.exportedAnnotations", fields["exportedAnnotations"], annotationMap);
  return problems.list;
}

/** The problems of a source EndpointSlice, in the fields the endpoint functions read. */
export function endpointSliceProblems(slice: unknown): readonly ShapeProblem[] {
  const problems = new Problems();
  if (!problems.required("", slice, tests.record)) return problems.list;
  const { metadata, addressType, ports, endpoints } = slice as Record<string, unknown>;
  checkMetadata(problems, metadata, tests.subdomain);
  if (!problems.required("addressType", addressType, oneOf("IPv4", "IPv6", "FQDN"))) {
    return problems.list;
  }
  // FQDN slices are skipped whole: nothing else of them is read.
  if (addressType === "FQDN") return problems.list;
  eachOf(problems, "ports", ports, true, (path, port) => {
    problems.optional(`${path}.name`, port["name"], tests.portName);
    problems.optional(`${path}.protocol`, port["protocol"], tests.protocol);
    problems.optional(`${path}.port`, port["port"], tests.port);
    problems.optional(`${path}.appProtocol`, port["appProtocol"], tests.string);
  });
  const family = ip(addressType as "IPv4" | "IPv6");
  eachOf(problems, "endpoints", endpoints, true, (path, endpoint) => {
    const { addresses, conditions, hostname } = endpoint;
    if (problems.required(`${path}.addresses`, addresses, addressList)) {
      (addresses as unknown[]).forEach((address, index) =>
        problems.required(`${path}.addresses[${index}]`, address, family)
      );
    }
    if (problems.optional(`${path}.conditions`, conditions, tests.record, nullable)) {
      for (const condition of ["ready", "serving", "terminating"]) {
        const value = (conditions as Record<string, unknown>)[condition];
        problems.optional(`${path}.conditions.${condition}`, value, tests.boolean);
      }
    }
    problems.optional(`${path}.hostname`, hostname, tests.dnsLabel);
  });
  return problems.list;
}

/** The problems of source core v1 Endpoints, in the fields the endpoint functions read. */
export function endpointsProblems(endpoints: unknown): readonly ShapeProblem[] {
  const problems = new Problems();
  if (!problems.required("", endpoints, tests.record)) return problems.list;
  const { metadata, subsets } = endpoints as Record<string, unknown>;
  checkMetadata(problems, metadata, tests.subdomain);
  eachOf(problems, "subsets", subsets, true, (path, subset) => {
    for (const field of ["addresses", "notReadyAddresses"]) {
      eachOf(problems, `${path}.${field}`, subset[field], true, (at, address) => {
        problems.required(`${at}.ip`, address["ip"], ip());
        problems.optional(`${at}.hostname`, address["hostname"], tests.dnsLabel);
      });
    }
    eachOf(problems, `${path}.ports`, subset["ports"], true, (at, port) => {
      problems.optional(`${at}.name`, port["name"], tests.portName);
      problems.optional(`${at}.protocol`, port["protocol"], tests.protocol);
      problems.required(`${at}.port`, port["port"], tests.port);
      problems.optional(`${at}.appProtocol`, port["appProtocol"], tests.string);
    });
  });
  return problems.list;
}

const addressList = test(
  "an array of 1 to 100 addresses",
  (value) => Array.isArray(value) && value.length >= 1 && value.length <= 100,
);

/** What a map of labels, or of annotations, holds. */
interface MapShape {
  readonly map: Test;
  readonly values: Test;
}

const labelMap: MapShape = {
  map: test("an object of label keys to label values", isRecord),
  values: tests.labelValue,
};

const annotationMap: MapShape = {
  map: test("an object of annotation keys to strings", isRecord),
  values: tests.string,
};

const maps = [["labels", labelMap], ["annotations", annotationMap]] as const;

/** `metadata` with a `name` passing `name`, a namespace, and labels and annotations to copy. */
function checkMetadata(problems: Problems, metadata: unknown, name: Test): void {
  if (!problems.required("metadata", metadata, tests.record)) return;
  const fields = metadata as Record<string, unknown>;
  problems.required("metadata.name", fields["name"], name);
  problems.required("metadata.namespace", fields["namespace"], tests.dnsLabel);
  problems.optional("metadata.resourceVersion", fields["resourceVersion"], tests.string);
  for (const [field, shape] of maps) checkMap(problems, `metadata.${field}`, fields[field], shape);
}

/** `value` at `path`, if present, a map of `shape`. */
function checkMap(problems: Problems, path: string, value: unknown, shape: MapShape): void {
  if (!problems.optional(path, value, shape.map, nullable)) return;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    problems.required(`${path} key`, key, tests.qualifiedName);
    problems.required(`${path}[${JSON.stringify(key)}]`, item, shape.values);
  }
}

function checkAffinityConfig(problems: Problems, config: unknown): void {
  const path = "spec.sessionAffinityConfig";
  if (!problems.optional(path, config, tests.record)) return;
  const clientIP = (config as Record<string, unknown>)["clientIP"];
  if (!problems.optional(`${path}.clientIP`, clientIP, tests.record)) return;
  const timeout = (clientIP as Record<string, unknown>)["timeoutSeconds"];
  problems.optional(
    `${path}.clientIP.timeoutSeconds`,
    timeout,
    test("an integer from 1 to 86400", (value) =>
      Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 86400),
  );
}

/** Checks that `list` at `path` is an array of objects and hands each to `each`. */
function eachOf(
  problems: Problems,
  path: string,
  list: unknown,
  allowNull: boolean,
  each: (path: string, item: Record<string, unknown>) => void,
): void {
  if (!problems.optional(path, list, tests.array, { nullable: allowNull })) return;
  (list as unknown[]).forEach((item, index) => {
    const at = `${path}[${index}]`;
    if (problems.required(at, item, tests.record)) each(at, item as Record<string, unknown>);
  });
}
