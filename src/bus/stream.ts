/**
 * The JetStream stream `serve` publishes into: created when absent, checked when present.
 *
 * Created with the subjects `bmp.raw.>` and `bmp.parsed.>`, limits retention (messages go
 * by age or size, not by consumption), file storage, BUS_MAX_AGE, BUS_MAX_BYTES,
 * BUS_REPLICAS and a duplicate window of {@linkcode DUPLICATE_WINDOW_MS}: a message
 * published again within it (same msgID) is stored once.
 *
 * An existing stream that cannot work for an edge (it lacks `bmp.raw.>`, or `bmp.parsed.>` with
 * BUS_PARSED, other retention, other replica count, a shorter duplicate window) is an
 * error naming the setting; other differences (age, size, storage) are warnings: the
 * operator may have changed them on purpose.
 *
 * @module
 */

import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { BusError } from "./errors.ts";
import { STREAM_SUBJECTS } from "./subject.ts";

/** A message published again within this is stored once (10 minutes). */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

const NS = 1_000_000;

/** The settings of the stream the configuration asks for. */
export interface StreamSettings {
  name: string;
  replicas: number;
  /** 0: no age limit. */
  maxAgeMs: number;
  /** -1: no size limit. */
  maxBytes: number;
  /** BUS_PARSED: the stream must hold `bmp.parsed.>` as well. */
  parsed?: boolean;
  /**
   * `consume`: it only reads, so an existing stream needs `bmp.raw.>` and nothing else;
   * replicas, limits and the duplicate window are the publishing edges' to check.
   */
  reader?: boolean;
}

/** The JetStream configuration of a new stream. */
export function streamConfig(s: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    subjects: [...STREAM_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: s.replicas,
    max_age: s.maxAgeMs * NS,
    max_bytes: s.maxBytes,
    duplicate_window: DUPLICATE_WINDOW_MS * NS,
  };
}

/**
 * Creates the stream, or checks the existing one.
 *
 * @returns warnings about harmless differences, and whether it was created
 * @throws {BusError} naming the first setting that does not fit
 */
export async function ensureStream(
  jsm: JetStreamManager,
  s: StreamSettings,
): Promise<{ warnings: string[]; created: boolean }> {
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(s.name);
  } catch (e) {
    if (!/stream not found/i.test((e as Error).message)) throw e;
  }
  if (!info) {
    await jsm.streams.add(streamConfig(s));
    return { warnings: [], created: true };
  }
  return { warnings: checkStream(info.config, s), created: false };
}

/**
 * The warnings for an existing stream's configuration `c`.
 *
 * @throws {BusError} naming the first setting that does not fit
 */
export function checkStream(c: StreamConfig, s: StreamSettings): string[] {
  const name = `stream ${s.name}`;
  const subjects = c.subjects ?? [];
  const covers = (want: string) => subjects.some((x) => x === want || x === "bmp.>" || x === ">");
  if (!covers("bmp.raw.>")) {
    throw new BusError(
      `BUS_STREAM=${s.name}: ${name} exists with subjects ${JSON.stringify(subjects)}, ` +
        "not bmp.raw.> (use another BUS_STREAM or change the stream)",
    );
  }
  if (s.reader) return [];
  // Publishes outside every stream are never acked: the bus would stall on the first one.
  if (s.parsed && !covers("bmp.parsed.>")) {
    throw new BusError(
      `BUS_PARSED=true: ${name} exists with subjects ${JSON.stringify(subjects)}, ` +
        "not bmp.parsed.> (add it to the stream or unset BUS_PARSED)",
    );
  }
  if (c.retention !== RetentionPolicy.Limits) {
    throw new BusError(
      `BUS_STREAM=${s.name}: ${name} exists with retention ${c.retention}, not limits ` +
        "(a work-queue or interest stream loses messages its consumers took)",
    );
  }
  if (c.num_replicas !== s.replicas) {
    throw new BusError(
      `BUS_REPLICAS=${s.replicas}: ${name} exists with ${c.num_replicas} replicas`,
    );
  }
  if (c.duplicate_window < DUPLICATE_WINDOW_MS * NS) {
    throw new BusError(
      `BUS_STREAM=${s.name}: ${name} exists with a duplicate window of ` +
        `${c.duplicate_window / NS / 1000} s, below ${DUPLICATE_WINDOW_MS / 1000} s ` +
        "(a message re-published after a restart could be stored twice)",
    );
  }
  const warnings: string[] = [];
  if (c.max_age !== s.maxAgeMs * NS) {
    warnings.push(
      `BUS_MAX_AGE: ${name} keeps messages ${c.max_age / NS / 1000} s, not ${s.maxAgeMs / 1000} s`,
    );
  }
  if (c.max_bytes !== s.maxBytes) {
    warnings.push(`BUS_MAX_BYTES: ${name} holds at most ${c.max_bytes} bytes, not ${s.maxBytes}`);
  }
  if (c.storage !== StorageType.File) warnings.push(`${name} is kept in ${c.storage} storage`);
  return warnings;
}
