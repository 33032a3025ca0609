/**
 * `bmpmon consume`: the store behind the bus (README "Several sites"). Reads `BUS_STREAM`
 * with an ordered JetStream consumer from where it left off and writes what edge
 * collectors published into the store, through the writer `serve` uses. Answers `bmpmon
 * show summary` on its control socket and, with METRICS_LISTEN, `/metrics` and `/healthz`
 * (src/control/consume_plane.ts). SIGTERM/SIGINT stop reading, commit what was read, save
 * the position and exit 0.
 *
 * @module
 */

import { DeliverPolicy } from "@nats-io/jetstream";
import { openBus } from "../bus/connect.ts";
import { ConsumeRun } from "../bus/consume_status.ts";
import { BusConsumer } from "../bus/consumer.ts";
import { oneLine } from "../bus/errors.ts";
import { claimMarks, markSource, memberOf, positionName } from "../bus/membership.ts";
import { positionPath, readPosition, writePosition } from "../bus/position.ts";
import { STREAM_SUBJECTS } from "../bus/subject.ts";
import { type Config, ConfigError } from "../config.ts";
import { type ConsumePlane, startConsumePlane } from "../control/consume_plane.ts";
import { logger, setupLogging } from "../log.ts";
import { StepProgress } from "./progress.ts";
import { openServeStore } from "./serve_store.ts";

/** How long shutdown waits for the store to commit what was read. */
const SHUTDOWN_WAIT_MS = 15_000;
/** How often the position is saved and progress logged, ms. */
const POSITION_MS = 1000;
const PROGRESS_MS = 10_000;
/** Messages pending and none read for this long: the consumer is read through anew. */
const STALL_MS = 15_000;

/** Runs the consumer until SIGTERM/SIGINT; returns the exit code. */
export async function runConsume(config: Config): Promise<number> {
  if (!config.BUS_URL) {
    throw new ConfigError("BUS_URL: required by consume (the stream it stores from)");
  }
  if (config.STORE === "none") {
    throw new ConfigError("STORE=none: consume writes into a store; unset STORE");
  }
  await setupLogging(config.LOG_LEVEL);
  const log = logger("consume");
  const bus = await openBus(config, { reader: true });
  for (const w of bus.warnings) log.warn(w, {});
  const member = config.CONSUME_MEMBER;
  const source = markSource(config.BUS_STREAM, member);
  const db = await openServeStore(config, new StepProgress("migrate"), { markSource: source });
  const file = positionPath(config.dataDir, positionName(config.BUS_STREAM, member));
  const position = readPosition(file);
  const start = position.seq;
  const owns = (address: string) => memberOf(address, member.count) === member.index;
  const consumer = new BusConsumer(db.target, db.marks, owns);
  const servers = config.BUS_URL.map((s) => s.url);
  const run = new ConsumeRun(
    { stream: config.BUS_STREAM, member, servers, startSeq: start },
    consumer,
  );
  let plane: ConsumePlane;
  try {
    await claimMarks(db.sql!, config.BUS_STREAM, member, position.found && !position.source);
    plane = await startConsumePlane(config, { status: () => run.status(), store: db });
  } catch (e) {
    await db.end();
    await bus.nc.close();
    throw e;
  }
  void run.watch(bus.nc, (level, message, fields) => {
    if (level === "info") log.info(message, fields);
    else if (level === "warn") log.warn(message, fields);
    else log.error(message, fields);
  }).catch(() => {});
  log.info("consuming {stream} from {seq}", {
    stream: config.BUS_STREAM,
    seq: start,
    member: `${member.index}/${member.count}`,
    servers,
  });
  let stopping: string | undefined;
  let current: { stop(): void } | undefined;
  const stop = (signal: string) => () => {
    stopping ??= signal;
    plane.state.stopping = true; // /healthz: 503 at once
    current?.stop();
  };
  const signals: [Deno.Signal, () => void][] = [
    ["SIGTERM", stop("SIGTERM")],
    ["SIGINT", stop("SIGINT")],
  ];
  for (const [s, h] of signals) Deno.addSignalListener(s, h);
  const save = () => {
    try {
      const seq = consumer.resumeSeq();
      writePosition(file, { seq, source });
      run.resumeSeq = seq;
    } catch (e) {
      log.error("position not saved: {error}", { error: oneLine(e) });
    }
  };
  const saver = setInterval(save, POSITION_MS);
  const progress = setInterval(() => {
    log.info("consumed", {
      seq: consumer.last,
      pending: run.pending,
      messages: consumer.stats.messages,
      others: consumer.stats.others,
      routes: db.writer.stats.routes,
      connections: consumer.open,
    });
  }, PROGRESS_MS);
  // An ordered consumer lives on one server: when that server goes, nothing more comes
  // (seen with a 3-node cluster and a node killed). Messages pending and none for a while,
  // or missed heartbeats: read on from the next message through a new consumer.
  let lastMessage = Date.now();
  const watchdog = setInterval(() => {
    if (run.pending > 0 && Date.now() - lastMessage > STALL_MS) {
      log.warn("no message for {s} s with {pending} pending: reading on through a new consumer", {
        s: Math.round((Date.now() - lastMessage) / 1000),
        pending: run.pending,
        seq: consumer.last + 1,
      });
      lastMessage = Date.now();
      current?.stop();
    }
  }, 1000);
  let code = 0;
  try {
    let next = start;
    while (!stopping) {
      let messages;
      try {
        // Raw messages only: the decoded copies (BUS_PARSED) are ~4× the bytes and skipped.
        const c = await bus.js.consumers.get(config.BUS_STREAM, {
          filter_subjects: STREAM_SUBJECTS[0],
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: next,
        });
        messages = await c.consume({ max_messages: 1024, idle_heartbeat: 5000, expires: 15_000 });
      } catch (e) {
        log.warn("cannot read the stream, trying again: {error}", { error: oneLine(e) });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      current = messages;
      if (stopping) messages.stop();
      void (async () => {
        for await (const st of messages.status()) {
          if (st.type === "heartbeats_missed" && st.count >= 2) messages.stop();
        }
      })().catch(() => {});
      for await (const m of messages) {
        lastMessage = Date.now();
        run.pending = m.info.pending;
        await consumer.handle({
          seq: m.seq,
          header: (name) => m.headers?.has(name) ? m.headers.get(name) : undefined,
          data: m.data,
        });
        next = m.seq + 1;
        if (run.pending === 0 && !run.caughtUp) log.info("caught up", { seq: m.seq });
        run.caughtUp = run.pending === 0;
        if (stopping) break;
      }
      // The consumer stopped (its server gone, heartbeats missed): read on through a new one.
      if (!stopping) run.restarts++;
    }
  } catch (e) {
    log.error("consume failed: {error}", { error: oneLine(e) });
    code = 1;
  }
  clearInterval(watchdog);
  log.info("stopping on {signal}", { signal: stopping ?? "error" });
  await plane.stop();
  clearInterval(saver);
  clearInterval(progress);
  if (!await db.close(SHUTDOWN_WAIT_MS)) {
    log.warn("store not reachable: what was read is read again at the next start", {});
  }
  save();
  await db.end();
  await bus.nc.close();
  for (const [s, h] of signals) Deno.removeSignalListener(s, h);
  log.info("stopped", { ...consumer.stats, routes: db.writer.stats.routes, exit: code });
  return code;
}
