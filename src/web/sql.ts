/**
 * The SQL behind each table of the looking glass: the statements a page runs are recorded
 * as they go to the store (text and `$n` parameters), so the page shows exactly what ran,
 * including the statements of the `show` handlers it calls, as `psql` input.
 *
 * @module
 */

import type { CollectorState } from "../control/state.ts";
import type { QueryResult, ReadQuery } from "../control/query.ts";
import { type Html, html } from "./html.ts";

/** One statement as it was sent. */
export interface Statement {
  text: string;
  params: unknown[];
}

/**
 * A view of `s` whose store records every statement into `log`: the handlers of `show`
 * run unchanged, and the page learns their SQL.
 */
export function recording(s: CollectorState, log: Statement[]): CollectorState {
  const query: ReadQuery = (text, params = []) => {
    log.push({ text, params });
    return s.store.query(text, params);
  };
  return { ...s, store: { ...s.store, query } };
}

/** Runs one fixed statement with parameters and records it. */
export function run(
  s: CollectorState,
  log: Statement[],
  text: string,
  params: unknown[],
): Promise<QueryResult> {
  log.push({ text, params });
  return s.store.query(text, params);
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  const t = Array.isArray(v) ? `{${v.map((x) => JSON.stringify(String(x))).join(",")}}` : String(v);
  // standard_conforming_strings is on by default since PostgreSQL 9.1: only quotes double.
  return `'${t.replaceAll("'", "''")}'`;
}

/**
 * A statement as `psql` input: `PREPARE` with the exact text, `EXECUTE` with the
 * parameters as literals, `DEALLOCATE`. A statement without parameters is printed alone.
 *
 * @example
 * ```ts
 * import { psqlText } from "./sql.ts";
 * const t = psqlText({ text: "SELECT $1::inet, $2", params: ["10.0.0.0/8", 5] });
 * if (t !== "PREPARE lg AS\nSELECT $1::inet, $2;\nEXECUTE lg('10.0.0.0/8', 5);\nDEALLOCATE lg;") {
 *   throw new Error(t);
 * }
 * ```
 */
export function psqlText(st: Statement): string {
  const text = st.text.trim().replace(/;$/, "");
  if (st.params.length === 0) return `${text};`;
  return `PREPARE lg AS\n${text};\nEXECUTE lg(${
    st.params.map(literal).join(", ")
  });\nDEALLOCATE lg;`;
}

/** A collapsed "SQL" block with the statements as `psql` input and a copy button. */
export function sqlDetails(statements: Statement[]): Html {
  if (statements.length === 0) return html``;
  const text = statements.map(psqlText).join("\n\n");
  return html`
    <details class="sql">
      <summary>SQL</summary>
      <button type="button" class="copy">Copy</button>
      <pre><code>${text}</code></pre>
      <p
        class="note">psql input: the exact statement${statements.length > 1
          ? "s"
          : ""} and parameters this table came from (run in a READ ONLY transaction).</p>
    </details>
  `;
}
