/**
 * Tries each action named on the command line and prints one JSON object: action → "ok" or
 * the error's name and message. Run by tests/permissions_test.ts under exactly the flags
 * `deno task start` computes, to show what they allow and what Deno refuses.
 *
 * Actions: `env:NAME`, `connect:HOST:PORT`, `listen:HOST:PORT`, `read:PATH`, `write:PATH`,
 * `sys:hostname`, `run:PROGRAM`, `postgres` (postgres.js options from DATABASE_URL).
 *
 * @module
 */

import postgres from "postgres";

async function attempt(action: string): Promise<void> {
  const [kind, ...rest] = action.split(":");
  const arg = rest.join(":");
  const hostPort = () => {
    const i = arg.lastIndexOf(":");
    return { hostname: arg.slice(0, i), port: Number(arg.slice(i + 1)) };
  };
  switch (kind) {
    case "env":
      Deno.env.get(arg);
      return;
    case "connect":
      (await Deno.connect(hostPort())).close();
      return;
    case "listen":
      Deno.listen(hostPort()).close();
      return;
    case "read":
      await Deno.readFile(arg);
      return;
    case "write":
      await Deno.writeTextFile(arg, "probe\n");
      return;
    case "sys":
      if (arg !== "hostname") throw new Error(`unknown sys probe ${arg}`);
      Deno.hostname();
      return;
    case "run":
      await new Deno.Command(arg).output();
      return;
    case "postgres": {
      const sql = postgres(Deno.env.get("DATABASE_URL")!, { max: 1 });
      await sql.end();
      return;
    }
  }
  throw new Error(`unknown probe ${action}`);
}

const results: Record<string, string> = {};
for (const action of Deno.args) {
  try {
    await attempt(action);
    results[action] = "ok";
  } catch (e) {
    results[action] = `${(e as Error).name}: ${(e as Error).message}`;
  }
}
console.log(JSON.stringify(results));
