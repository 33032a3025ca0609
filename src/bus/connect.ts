/**
 * Connects to the NATS servers of BUS_URL and makes sure the JetStream stream is there,
 * with one-line errors (a {@linkcode BusError}) for what a server refuses.
 *
 * @module
 */

import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
} from "@nats-io/jetstream";
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
  type TlsOptions,
} from "@nats-io/transport-node";
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from "node:tls";
import type { Config } from "../config.ts";
import { BusError, oneLine } from "./errors.ts";

export { BusError } from "./errors.ts";
import { ensureStream, type StreamSettings } from "./stream.ts";

/** An open bus: the connection, its JetStream client and the stream's settings. */
export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: StreamSettings;
  /** What was odd about an existing stream but harmless. */
  warnings: string[];
  /** Whether the stream was created by this call. */
  created: boolean;
}

/** The stream settings the configuration asks for. */
export function streamSettings(config: Config): StreamSettings {
  return {
    name: config.BUS_STREAM,
    replicas: config.BUS_REPLICAS,
    maxAgeMs: config.BUS_MAX_AGE,
    maxBytes: config.BUS_MAX_BYTES,
    parsed: config.BUS_PARSED,
  };
}

/** Connection options from the configuration (credentials, TLS, endless reconnects). */
export function connectionOptions(config: Config): NodeConnectionOptions {
  const servers = config.BUS_URL!;
  const o: NodeConnectionOptions = {
    servers: servers.map((s) => `${s.tls ? "tls" : "nats"}://${hostPort(s.hostname, s.port)}`),
    name: `bmpmon ${config.BUS_COLLECTOR_ID ?? ""}`.trim(),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    timeout: 5000,
  };
  if (config.BUS_USER) {
    o.user = config.BUS_USER;
    o.pass = config.BUS_PASSWORD ?? "";
  }
  if (config.BUS_TOKEN) o.token = config.BUS_TOKEN;
  if (config.BUS_CREDS_FILE) {
    let creds: Uint8Array;
    try {
      creds = Deno.readFileSync(config.BUS_CREDS_FILE);
    } catch (e) {
      throw new BusError(`BUS_CREDS_FILE=${JSON.stringify(config.BUS_CREDS_FILE)}: ${oneLine(e)}`);
    }
    o.authenticator = credsAuthenticator(creds);
  }
  if (config.BUS_TLS_CA_FILE || servers.some((s) => s.tls)) {
    // nats.js hands node:tls whatever else its tls options hold.
    const tls: TlsOptions & Pick<ConnectionOptions, "checkServerIdentity"> = {
      checkServerIdentity: checkAddressIdentity,
    };
    if (config.BUS_TLS_CA_FILE) tls.caFile = config.BUS_TLS_CA_FILE;
    o.tls = tls;
  }
  return o;
}

/**
 * Checks a NATS server's certificate for the name it was dialled by, or for its address when
 * it was dialled by IP address: nats.js then gives node:tls no server name (SNI takes none),
 * and node:tls would check the certificate against "localhost", refusing `tls://127.0.0.1`
 * with a certificate for IP 127.0.0.1. node:tls calls this with its options as `this`: the
 * socket it upgrades, connected to that address.
 */
function checkAddressIdentity(
  this: { servername?: string; socket?: { remoteAddress?: string } } | undefined,
  host: string,
  cert: PeerCertificate,
): Error | undefined {
  const address = this?.servername ? undefined : this?.socket?.remoteAddress;
  return checkServerIdentity(address ?? host, cert);
}

/** How long a start waits for a JetStream that answers late (a cluster electing). */
const START_WAIT_MS = 30_000;
const TRANSIENT = /timeout|timed out|temporarily unavailable/i;

/**
 * Connects and checks (or creates) the stream.
 *
 * @throws {BusError} when no server can be reached, one refuses the credentials, JetStream
 * is not enabled, or the existing stream's settings do not fit
 */
export async function openBus(config: Config, opts: { reader?: boolean } = {}): Promise<Bus> {
  const where = config.BUS_URL!.map((s) => s.url).join(",");
  let nc: NatsConnection;
  try {
    nc = await connect(connectionOptions(config));
  } catch (e) {
    if (e instanceof BusError) throw e;
    throw new BusError(`BUS_URL=${where}: cannot connect: ${oneLine(e)}`);
  }
  // A cluster electing its leaders (a node just restarted) answers late for a while: that
  // is waited out, not an error of the configuration (exit 2 would stop systemd's restarts).
  const deadline = Date.now() + START_WAIT_MS;
  const transient = (e: unknown) =>
    !(e instanceof BusError) && Date.now() < deadline && TRANSIENT.test(oneLine(e));
  try {
    for (;;) {
      let jsm: JetStreamManager;
      try {
        jsm = await jetstreamManager(nc);
      } catch (e) {
        if (transient(e)) {
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        throw new BusError(`BUS_URL=${where}: JetStream is not available: ${oneLine(e)}`);
      }
      const settings = { ...streamSettings(config), reader: opts.reader };
      try {
        const { warnings, created } = await ensureStream(jsm, settings);
        return { nc, js: jetstream(nc), jsm, stream: settings, warnings, created };
      } catch (e) {
        if (!transient(e)) throw e;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } catch (e) {
    await nc.close().catch(() => {});
    if (e instanceof BusError) throw e;
    throw new BusError(`BUS_STREAM=${config.BUS_STREAM}: ${oneLine(e)}`);
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
