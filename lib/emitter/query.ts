/**
 * Parses the query parameters of list, get and watch requests, answering
 * bad values with the status codes and messages kube-apiserver uses (400
 * for unparsable values and selectors, 422 for forbidden combinations; a
 * watch with an unparsable resourceVersion is a 500, as there).
 *
 * @module
 */

import { type FieldSelector, parseFieldSelector } from "../kube/field_selector.ts";
import { type LabelSelector, parseLabelSelector } from "../kube/label_selector.ts";
import { badRequest, StatusResponseError } from "./status.ts";

/** Fields every served resource can be selected on, as in kube-apiserver. */
export const metadataFields = ["metadata.name", "metadata.namespace"];
/** Fields Services can be selected on, as in kube-apiserver. */
export const serviceFields = [...metadataFields, "spec.clusterIP", "spec.type"];

/** Parsed parameters of a read request. */
export interface ReadQuery {
  /** True for a watch. */
  watch: boolean;
  /** Label selector (matches everything when absent). */
  labels: LabelSelector;
  /** Field selector (matches everything when absent). */
  fields: FieldSelector;
  /** `resourceVersion`: undefined when absent or empty; "0" means "any". */
  resourceVersion: number | undefined;
  /** The raw `resourceVersion` text. */
  resourceVersionText: string;
  /** `resourceVersionMatch`. */
  resourceVersionMatch: "Exact" | "NotOlderThan" | undefined;
  /** Page size; undefined for all. */
  limit: number | undefined;
  /** `continue` token. */
  continueToken: string | undefined;
  /** Watch: send BOOKMARK events. */
  allowWatchBookmarks: boolean;
  /** Watch: server-side bound in seconds. */
  timeoutSeconds: number | undefined;
  /** Watch: start with ADDED events for the current state and an initial-events-end bookmark. */
  sendInitialEvents: boolean;
}

function invalid(message: string): StatusResponseError {
  return new StatusResponseError(
    422,
    "Invalid",
    `ListOptions.meta.k8s.io "" is invalid: ${message}`,
    {
      details: {
        group: "meta.k8s.io",
        kind: "ListOptions",
        causes: [{ reason: "FieldValueForbidden", message }],
      },
    },
  );
}

function integer(text: string): number {
  if (!/^[-+]?\d+$/.test(text)) {
    throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  return Number(text);
}

/** Options of {@linkcode parseReadQuery}. */
export interface ParseReadQueryOptions {
  /** True for the legacy `/watch/` paths. */
  watchPath?: boolean;
  /** Fields the resource can be selected on. Defaults to {@linkcode metadataFields}. */
  fields?: string[];
}

/** Parses `params`. Throws StatusResponseError. */
export function parseReadQuery(
  params: URLSearchParams,
  options: ParseReadQueryOptions = {},
): ReadQuery {
  const { watchPath = false } = options;
  const flag = (name: string) => ["true", "1"].includes(params.get(name) ?? "");
  const watch = watchPath || flag("watch");
  const rvText = params.get("resourceVersion") ?? "";
  let resourceVersion: number | undefined;
  if (rvText !== "") {
    if (!/^\d+$/.test(rvText)) {
      const message = `resourceVersion: Invalid value: ${
        JSON.stringify(rvText)
      }: strconv.ParseUint: parsing ${JSON.stringify(rvText)}: invalid syntax`;
      throw watch
        ? new StatusResponseError(500, "", message)
        : badRequest(`invalid resource version: ${message}`);
    }
    resourceVersion = Number(rvText);
  }
  const matchText = params.get("resourceVersionMatch") ?? "";
  if (matchText !== "" && !["Exact", "NotOlderThan"].includes(matchText)) {
    throw invalid(
      `resourceVersionMatch: Unsupported value: ${
        JSON.stringify(matchText)
      }: supported values: "Exact", "NotOlderThan"`,
    );
  }
  const resourceVersionMatch = (matchText || undefined) as ReadQuery["resourceVersionMatch"];
  const sendInitialEvents = flag("sendInitialEvents");
  if (watch && sendInitialEvents && resourceVersionMatch !== "NotOlderThan") {
    throw invalid(
      "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
    );
  }
  if (!watch && resourceVersionMatch && rvText === "") {
    throw invalid(
      "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
    );
  }
  let labels: LabelSelector;
  let fields: FieldSelector;
  try {
    labels = parseLabelSelector(params.get("labelSelector") ?? "");
    fields = parseFieldSelector(params.get("fieldSelector") ?? "", {
      supported: options.fields ?? metadataFields,
    });
  } catch (error) {
    throw badRequest(error instanceof Error ? error.message : String(error));
  }
  const limitText = params.get("limit") ?? "";
  const limit = limitText === "" ? undefined : integer(limitText);
  const timeoutText = params.get("timeoutSeconds") ?? "";
  return {
    watch,
    labels,
    fields,
    resourceVersion,
    resourceVersionText: rvText,
    resourceVersionMatch,
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    continueToken: params.get("continue") || undefined,
    allowWatchBookmarks: flag("allowWatchBookmarks"),
    timeoutSeconds: timeoutText === "" ? undefined : integer(timeoutText),
    sendInitialEvents,
  };
}
