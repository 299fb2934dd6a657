/**
 * Many teams' Services in one source cluster, as one kubectl List: team
 * `t<N>`'s Services are labelled `export=yes,team=t<N>` and each has one
 * EndpointSlice of ready endpoints (no Pods, no controllers to wait for),
 * so that one Emitter per team (selector `team=t<N>`) is one source each.
 *
 * @module
 */

/** What {@linkcode teamServiceList} makes. */
export interface TeamServices {
  /** Namespace of every Service (it must exist). */
  namespace: string;
  /** Team numbers. */
  teams: readonly number[];
  /** Services per team, named `t<team>-svc<index>`. */
  perTeam: number;
  /** Ready endpoints per Service, at `10.<team>.<index mod 250>.<1..n>`. Defaults to 1. */
  endpoints?: number;
}

/** The Services and slices of `teams`, as the JSON of one List for `kubectl apply -f -`. */
export function teamServiceList(options: TeamServices): string {
  const { namespace, teams, perTeam, endpoints = 1 } = options;
  const items = teams.flatMap((team) =>
    Array.from({ length: perTeam }, (_, index) => {
      const name = `t${team}-svc${index}`;
      const ports = [{ name: "http", port: 80, protocol: "TCP" }];
      return [{
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace, labels: { export: "yes", team: `t${team}` } },
        spec: { ports },
      }, {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: `${name}-a`, namespace, labels: { "kubernetes.io/service-name": name } },
        addressType: "IPv4",
        endpoints: Array.from({ length: endpoints }, (_, host) => ({
          addresses: [`10.${team}.${index % 250}.${host + 1}`],
          conditions: { ready: true },
        })),
        ports,
      }];
    }).flat()
  );
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}
