/**
 * Assertions shared by the label and field selector tests: the exact
 * {@linkcode SelectorError} of a refused selector, and a cross-check of
 * what a selector accepts and selects against a real kube-apiserver.
 *
 * @module
 */

import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { SelectorError } from "../../lib/kube/label_selector.ts";
import type { ApiFetcher, ApiList } from "./api_json.ts";

/**
 * Asserts that `parse` throws a {@linkcode SelectorError} with exactly
 * `message`, whose `problem` is the message after the selector (what a
 * caller words its own message from).
 */
export function throwsSelectorError(parse: () => unknown, message: string): void {
  throws(parse, (error: unknown) => {
    ok(error instanceof SelectorError, `not a SelectorError: ${error}`);
    equal(error.message, message);
    ok(error.problem !== "", "the problem is named");
    equal(error.message.slice(-error.problem.length - 2), `: ${error.problem}`);
    ok(error.message.includes(error.selector), "the message names the selector");
    return true;
  });
}

/** What {@linkcode assertSelectsAsApiserver} compares. */
export interface SelectorCrossCheck {
  /** The collection listed, e.g. `/api/v1/namespaces/selectors/services`. */
  path: string;
  /** The query parameter the selectors go in. */
  parameter: "labelSelector" | "fieldSelector";
  /** The selector texts to try, valid and not. */
  selectors: readonly string[];
  /**
   * The names of the collection's objects that `text` selects by the
   * project's own parser; throws a SelectorError where the parser refuses it.
   */
  select(text: string): string[];
}

/**
 * Lists `check.path` with each selector and asserts that the project's
 * parser refuses exactly what the apiserver refuses (400) and otherwise
 * selects the same names.
 */
export async function assertSelectsAsApiserver(
  api: ApiFetcher,
  check: SelectorCrossCheck,
): Promise<void> {
  for (const text of check.selectors) {
    const response = await api.fetch(
      `${check.path}?${check.parameter}=${encodeURIComponent(text)}`,
    );
    const body = await response.json();
    let mine: string[] | undefined;
    try {
      mine = check.select(text);
    } catch (error) {
      ok(error instanceof SelectorError, String(error));
    }
    if (response.status === 400) {
      equal(mine, undefined, `apiserver refused ${JSON.stringify(text)}: ${body.message}`);
      continue;
    }
    equal(response.status, 200, JSON.stringify(body));
    const selected = (body as ApiList<{ metadata: { name: string } }>).items
      .map((item) => item.metadata.name);
    deepStrictEqual(mine?.sort(), selected.sort(), `selected by ${JSON.stringify(text)}`);
  }
}
