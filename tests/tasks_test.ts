import { assertEquals } from "./_assert.ts";

/** The permission flags of a deno.json task. */
function permissionFlags(task: string): string[] {
  return task.split(/\s+/).filter((a) => a.startsWith("--allow-") || a.startsWith("--deny-"))
    .sort();
}

Deno.test("the start and compile tasks grant the same permissions", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const start = permissionFlags(tasks.start);
  assertEquals(start.length > 0, true, "start grants permissions explicitly");
  assertEquals(
    start.includes("--allow-all") || start.includes("-A"),
    false,
    "start does not allow all",
  );
  assertEquals(permissionFlags(tasks.compile), start);
  assertEquals(tasks.compile.startsWith("deno compile "), true);
});
