/**
 * Parses the query parameters of list, get and watch requests, answering
 * bad values with the status codes and messages kube-apiserver uses (400
 * for unparsable values and selectors, 422 for forbidden combinations, with
 * apimachinery's ListOptions rules and field-error wording; a watch or get
 * with an unparsable resourceVersion is a 500, as there).
 *
 * @module
 */

import { type FieldSelector, parseFieldSelector } from "../kube/field_selector.ts";
import { type LabelSelector, parseLabelSelector, SelectorError } from "../kube/label_selector.ts";
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

/** One field error of a ListOptions validation, as apimachinery's `field.Error`. */
interface FieldError {
  field: string;
  reason: "FieldValueForbidden" | "FieldValueNotSupported";
  /** The detail with its type prefix, e.g. `Forbidden: ...`. */
  message: string;
}

function forbidden(field: string, detail: string): FieldError {
  return { field, reason: "FieldValueForbidden", message: `Forbidden: ${detail}` };
}

function notSupported(field: string, value: string, supported: string[]): FieldError {
  const values = supported.map((each) => JSON.stringify(each)).join(", ");
  return {
    field,
    reason: "FieldValueNotSupported",
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${values}`,
  };
}

/** 422 Invalid for ListOptions, worded as kube-apiserver words an aggregate of field errors. */
function invalid(errors: FieldError[]): StatusResponseError {
  const each = errors.map((error) => `${error.field}: ${error.message}`);
  const summary = each.length === 1 ? each[0] : `[${each.join(", ")}]`;
  return new StatusResponseError(
    422,
    "Invalid",
    `ListOptions.meta.k8s.io "" is invalid: ${summary}`,
    {
      details: {
        group: "meta.k8s.io",
        kind: "ListOptions",
        causes: errors.map(({ reason, message, field }) => ({ reason, message, field })),
      },
    },
  );
}

/** The fields present in `params` that ListOptions validation looks at. */
interface Validated {
  watch: boolean;
  resourceVersion: string;
  match: string;
  continueToken: string;
  /** Whether `sendInitialEvents` was given at all (any value). */
  sendInitialEvents: boolean;
}

/** apimachinery's ValidateListOptions, for lists and for watches (the WatchList feature is on). */
function validate(options: Validated): FieldError[] {
  const { match } = options;
  const errors: FieldError[] = [];
  const field = "resourceVersionMatch";
  if (options.watch) {
    if (options.sendInitialEvents && match !== "NotOlderThan") {
      errors.push(
        forbidden(field, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"),
      );
    }
    if (match === "") return errors;
    if (!options.sendInitialEvents) {
      errors.push(
        forbidden(
          field,
          "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        ),
      );
    }
    if (match !== "NotOlderThan") errors.push(notSupported(field, match, ["NotOlderThan"]));
    if (options.continueToken) {
      errors.push(forbidden(field, "resourceVersionMatch is forbidden when continue is provided"));
    }
    return errors;
  }
  if (match !== "") {
    if (options.resourceVersion === "") {
      errors.push(
        forbidden(field, "resourceVersionMatch is forbidden unless resourceVersion is provided"),
      );
    }
    if (options.continueToken) {
      errors.push(forbidden(field, "resourceVersionMatch is forbidden when continue is provided"));
    }
    if (match !== "Exact" && match !== "NotOlderThan") {
      errors.push(notSupported(field, match, ["Exact", "NotOlderThan", ""]));
    }
    if (match === "Exact" && options.resourceVersion === "0") {
      errors.push(
        forbidden(field, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'),
      );
    }
  }
  if (options.sendInitialEvents) {
    errors.push(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
  }
  return errors;
}

function integer(text: string): number {
  if (!/^[-+]?\d+$/.test(text)) {
    throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  return Number(text);
}

/** A boolean query parameter as apimachinery converts one: given and not `0` or `false`. */
function flag(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  return value !== null && value !== "0" && value.toLowerCase() !== "false";
}

function resourceVersionError(text: string): string {
  return `resourceVersion: Invalid value: ${JSON.stringify(text)}: strconv.ParseUint: parsing ${
    JSON.stringify(text)
  }: invalid syntax`;
}

/** Options of {@linkcode parseReadQuery}. */
export interface ParseReadQueryOptions {
  /** True for the legacy `/watch/` paths. */
  watchPath?: boolean;
  /** Fields the resource can be selected on. Defaults to {@linkcode metadataFields}. */
  fields?: string[];
}

/**
 * Parses the `params` of a list or watch in kube-apiserver's order:
 * conversion (selectors and numbers, 400), validation (422), then the
 * resourceVersion (400 for a list, 500 for a watch). Throws StatusResponseError.
 */
export function parseReadQuery(
  params: URLSearchParams,
  options: ParseReadQueryOptions = {},
): ReadQuery {
  const { labels, fields } = parseSelectors(params, options.fields ?? metadataFields);
  const limitText = params.get("limit") ?? "";
  const limit = limitText === "" ? undefined : integer(limitText);
  const timeoutText = params.get("timeoutSeconds") ?? "";
  const timeoutSeconds = timeoutText === "" ? undefined : integer(timeoutText);
  const watch = (options.watchPath ?? false) || flag(params, "watch");
  const rvText = params.get("resourceVersion") ?? "";
  const matchText = params.get("resourceVersionMatch") ?? "";
  const errors = validate({
    watch,
    resourceVersion: rvText,
    match: matchText,
    continueToken: params.get("continue") ?? "",
    sendInitialEvents: params.has("sendInitialEvents"),
  });
  if (errors.length > 0) throw invalid(errors);
  let resourceVersion: number | undefined;
  if (rvText !== "") {
    if (!/^\d+$/.test(rvText)) {
      const message = resourceVersionError(rvText);
      throw watch
        ? new StatusResponseError(500, "", message)
        : badRequest(`invalid resource version: ${message}`);
    }
    resourceVersion = Number(rvText);
  }
  return {
    watch,
    labels,
    fields,
    resourceVersion,
    resourceVersionText: rvText,
    resourceVersionMatch: (matchText || undefined) as ReadQuery["resourceVersionMatch"],
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    continueToken: params.get("continue") || undefined,
    allowWatchBookmarks: flag(params, "allowWatchBookmarks"),
    timeoutSeconds,
    sendInitialEvents: flag(params, "sendInitialEvents"),
  };
}

/**
 * Checks the `params` of a get of one object as kube-apiserver does: only
 * `resourceVersion` (500 when unparsable) and the removed `export` (400)
 * matter; list and watch parameters are ignored. Throws StatusResponseError.
 */
export function checkGetQuery(params: URLSearchParams): void {
  if (flag(params, "export")) {
    throw badRequest("the export parameter, deprecated since v1.14, is no longer supported");
  }
  const rvText = params.get("resourceVersion") ?? "";
  if (rvText !== "" && !/^\d+$/.test(rvText)) {
    throw new StatusResponseError(500, "", resourceVersionError(rvText));
  }
}

function parseSelectors(
  params: URLSearchParams,
  supported: string[],
): { labels: LabelSelector; fields: FieldSelector } {
  try {
    return {
      labels: parseLabelSelector(params.get("labelSelector") ?? ""),
      fields: parseFieldSelector(params.get("fieldSelector") ?? "", { supported }),
    };
  } catch (error) {
    // kube-apiserver's words for an unsupported field; its parser's other words are its own.
    if (error instanceof SelectorError && error.problem.startsWith("field label not supported")) {
      throw badRequest(error.problem);
    }
    throw badRequest(error instanceof Error ? error.message : String(error));
  }
}
