/**
 * BUS_TLS_CA_FILE and BUS_CREDS_FILE against a real nats-server: `serve` (an edge,
 * STORE=none) publishes a lab capture over TLS to a server whose certificate only a
 * throwaway CA vouches for, and as a user of an operator-mode (JWT) account; an
 * independent reader (the npm client) finds the capture's bytes in the stream. What the
 * server or the files refuse stops `serve` with one line and exit code 2.
 */

import { checkServerIdentity, type PeerCertificate } from "node:tls";
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from "@nats-io/jwt";
import { credsAuthenticator, type NodeConnectionOptions } from "@nats-io/transport-node";
import { replay } from "../../src/cli/replay.ts";
import { assert, assertBytes, assertEquals } from "../_assert.ts";
import { concat } from "../_bytes.ts";
import { fixture } from "../_data.ts";
import { taskArgs } from "../_tasks.ts";
import { serve, until } from "../e2e/_serve.ts";
import { consumeAll, streamMessages } from "./_consumer.ts";
import { assertOneLine, serveExit } from "./_exit.ts";
import { withNats } from "./_nats.ts";

const CAPTURE = fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp");

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-bus-auth-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Messages of a capture, by walking its common headers. */
function countMessages(data: Uint8Array): number {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let n = 0;
  for (let p = 0; p + 6 <= data.length; p += v.getUint32(p + 1)) n++;
  return n;
}

/**
 * Replays the capture into an edge `serve` with `env` publishing to `url`, then reads the
 * stream back with `read` (the reader's TLS or credentials) and checks that it holds the
 * capture, byte for byte, and the connection's end mark. `serve` runs under the start
 * task's permission flags: reading the CA or `.creds` file is granted there.
 */
async function assertPublished(
  url: string,
  env: Record<string, string>,
  read: NodeConnectionOptions,
) {
  const data = await Deno.readFile(CAPTURE);
  const sent = countMessages(data);
  await withTempDir(async (dataDir) => {
    const s = await serve({
      STORE: "none",
      // Set, so that no database is made for this edge, which would not use it.
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      DATA_DIR: dataDir,
      BUS_URL: url,
      BUS_COLLECTOR_ID: "auth-1",
      ...env,
    }, { denoArgs: (childEnv) => taskArgs("start", childEnv) });
    try {
      await replay([CAPTURE], { hostname: "127.0.0.1", port: s.port, rate: 0, connections: 1 });
      await until(
        async () => (await streamMessages(url, "BMP", read)) >= sent + 1,
        30_000,
        "the capture and its end in the stream",
      );
      const all = await consumeAll(url, "BMP", sent + 1, 30_000, read);
      const got = all.filter((m) => m.headers["Bmp-Connection-End"] === undefined);
      assertEquals(got.length, sent, "one stream message per BMP message");
      assertEquals(all.length, sent + 1, "and the connection's end");
      assertBytes(concat(got.map((m) => m.data)), data, "the capture's bytes");
      assert(got.every((m) => m.headers["Bmp-Collector"] === "auth-1"), "Bmp-Collector");
      assertEquals(await s.stop(), 0);
    } catch (e) {
      await s.stop().catch(() => {});
      throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-20).join("\n")}`, {
        cause: e,
      });
    }
  });
}

// ---- TLS ----

/** Runs `openssl` with `args` (split on spaces) in `cwd`. */
async function openssl(args: string, cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args: args.split(" "),
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`openssl ${args}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * A throwaway CA and a server certificate it signs for IP 127.0.0.1 only (no DNS name: the
 * servers are dialled by address), in `dir`; the CA in DER too, and a certificate of the CA
 * for 127.0.0.2.
 */
async function makeCerts(dir: string) {
  const ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  // Extensions spelled out, not left to the system's openssl.cnf: rustls and Go refuse a
  // CA without CA:TRUE, and a leaf without the IP in subjectAltName.
  await openssl(
    `req -x509 ${ec} -keyout ca.key -out ca.pem -days 1 -subj /CN=bmpmon-test-CA ` +
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
    dir,
  );
  await openssl(`req ${ec} -keyout server.key -out server.csr -subj /CN=127.0.0.1`, dir);
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n" +
      "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(
    "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 1 " +
      "-extfile server.ext -out server.pem",
    dir,
  );
  // The same CA's certificate for another address: trusted, but not this server's.
  await Deno.writeTextFile(
    `${dir}/stray.ext`,
    (await Deno.readTextFile(`${dir}/server.ext`)).replace("127.0.0.1", "127.0.0.2"),
  );
  await openssl(
    "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days 1 " +
      "-extfile stray.ext -out stray.pem",
    dir,
  );
  await openssl("x509 -in ca.pem -outform der -out ca.der", dir);
  const [ca, cert, stray, key] = ["ca.pem", "server.pem", "stray.pem", "server.key"]
    .map((f) => `${dir}/${f}`);
  return { ca, cert, stray, key };
}

/** The INFO a NATS server sends first, before any TLS. */
async function serverInfo(port: number): Promise<Record<string, unknown>> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    let text = "";
    const buf = new Uint8Array(4096);
    while (!text.includes("\r\n")) {
      const n = await c.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return JSON.parse(/^INFO (.*)\r\n/.exec(text)![1]);
  } finally {
    c.close();
  }
}

const HAS_OPENSSL = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);
/** Said in the TLS tests' names when they are skipped. */
const NO_OPENSSL = HAS_OPENSSL ? "" : " (skipped: no openssl)";

/** The reader's TLS: the CA, and the certificate checked against the address it dials. */
function readerTls(ca: string): NodeConnectionOptions {
  // nats.js names no server for node:tls when it is dialled by IP (SNI takes no IP), and
  // node:tls then checks the certificate against "localhost".
  const tls = {
    caFile: ca,
    checkServerIdentity: (_: string, cert: PeerCertificate) =>
      checkServerIdentity("127.0.0.1", cert),
  };
  return { tls };
}

Deno.test({
  name: `serve publishes over TLS to a server that BUS_TLS_CA_FILE's CA vouches for${NO_OPENSSL}`,
  ignore: !HAS_OPENSSL,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withTempDir(async (dir) => {
      const { ca, cert, key } = await makeCerts(dir);
      for (const scheme of ["tls", "nats"]) {
        // nats://: the server asks for TLS, and BUS_TLS_CA_FILE alone turns it on.
        await withNats({ tls: { certFile: cert, keyFile: key } }, async (n) => {
          const url = `${scheme}://127.0.0.1:${n.port}`;
          // The server takes no client without TLS, so what serve published went over it.
          assertEquals((await serverInfo(n.port)).tls_required, true, "TLS required");
          await assertPublished(url, { BUS_TLS_CA_FILE: ca }, readerTls(ca));
        });
      }
    }),
});

Deno.test({
  name: `serve stops with one line when the server's certificate cannot be trusted${NO_OPENSSL}`,
  ignore: !HAS_OPENSSL,
  fn: (t) =>
    withTempDir(async (dir) => {
      const { ca, cert, stray, key } = await makeCerts(dir);
      await Deno.writeTextFile(`${dir}/notes.txt`, "not a certificate\n");
      const refused = (what: string, url: string, caFile: string | undefined, re: string) =>
        t.step(what, async () => {
          const env = {
            STORE: "none",
            BUS_URL: url,
            ...(caFile ? { BUS_TLS_CA_FILE: caFile } : {}),
          };
          const r = await serveExit(env);
          const where = url.replaceAll(".", "\\.");
          assertOneLine(r, new RegExp(`^bmpmon: BUS_URL=${where}: cannot connect: ${re}`));
        });
      const verify = "unable to verify the first certificate$";
      await withNats({ tls: { certFile: cert, keyFile: key } }, async (n) => {
        await refused("no BUS_TLS_CA_FILE", n.url, undefined, verify);
        await refused("the server's own certificate, not its CA", n.url, cert, verify);
        await refused("a file that is not PEM", n.url, `${dir}/notes.txt`, verify);
        await refused("the CA in DER, not PEM", n.url, `${dir}/ca.der`, verify);
        const none = `${dir}/none.pem`;
        await refused("a CA file that does not exist", n.url, none, ".*none\\.pem doesn't exist$");
        // Dialled by a name, the certificate is checked for that name, not for the address.
        await refused(
          "a name the certificate is not for",
          `tls://localhost:${n.port}`,
          ca,
          "Hostname/IP does not match certificate's altnames: Host: localhost\\.",
        );
      });
      await withNats({ tls: { certFile: stray, keyFile: key } }, async (n) => {
        await refused(
          "the CA's certificate for another address",
          n.url,
          ca,
          "Hostname/IP does not match certificate's altnames: IP: 127\\.0\\.0\\.1 is not in the " +
            "cert's list: 127\\.0\\.0\\.2",
        );
      });
    }),
});

// ---- .creds (operator mode) ----

/**
 * An operator, its system account and a JetStream-enabled account `bmpmon` with a user
 * whose `.creds` file is written to `dir`; also the `.creds` of a user of an account the
 * server does not know, and of one of an account without JetStream.
 */
async function makeOperator(dir: string) {
  const op = createOperator();
  const sys = createAccount();
  const acc = createAccount();
  const limits = {
    subs: -1,
    data: -1,
    payload: -1,
    imports: -1,
    exports: -1,
    wildcards: true,
    conn: -1,
    leaf: -1,
  };
  // Without JetStream limits an account JWT has no JetStream (mem and disk 0).
  const js = { mem_storage: 64 * 2 ** 20, disk_storage: 256 * 2 ** 20, streams: -1, consumer: -1 };
  const jsLimits = { ...limits, ...js };
  const sign = { signer: op };
  const noJs = createAccount();
  const operator = {
    jwt: await encodeOperator("bmpmon-test", op, { system_account: sys.getPublicKey() }),
    systemAccount: sys.getPublicKey(),
    accounts: {
      [sys.getPublicKey()]: await encodeAccount("SYS", sys, { limits }, sign),
      [acc.getPublicKey()]: await encodeAccount("bmpmon", acc, { limits: jsLimits }, sign),
      [noJs.getPublicKey()]: await encodeAccount("no-js", noJs, { limits }, sign),
    },
  };
  const users = [createUser(), createUser(), createUser()];
  const [creds, otherCreds, noJsCreds] = ["edge", "other", "nojs"].map((f) => `${dir}/${f}.creds`);
  const issuers = [acc, createAccount(), noJs]; // the second one unknown to the server
  for (const [i, file] of [creds, otherCreds, noJsCreds].entries()) {
    await Deno.writeFile(file, fmtCreds(await encodeUser("edge", users[i], issuers[i]), users[i]));
  }
  const seeds = users.map((u) => new TextDecoder().decode(u.getSeed()));
  return { operator, creds, otherCreds, noJsCreds, seeds };
}

Deno.test({
  name: "serve publishes as the user of BUS_CREDS_FILE to an operator-mode server",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withTempDir(async (dir) => {
      const { operator, creds } = await makeOperator(dir);
      await withNats({ operator }, async (n) => {
        // The server takes no client without a user JWT (its nonce is for the signature).
        const info = await serverInfo(n.port);
        assert(info.auth_required === true && typeof info.nonce === "string", "auth required");
        const read = { authenticator: credsAuthenticator(await Deno.readFile(creds)) };
        await assertPublished(n.url, { BUS_CREDS_FILE: creds }, read);
      });
    }),
});

Deno.test("serve stops with one line for a .creds file the server or the client refuses", (t) =>
  withTempDir(async (dir) => {
    const { operator, creds, otherCreds, noJsCreds, seeds } = await makeOperator(dir);
    const text = await Deno.readTextFile(creds);
    await Deno.writeTextFile(`${dir}/garbage.creds`, "not a creds file\n");
    // One character of the seed changed: its checksum no longer holds.
    const seed = seeds[0];
    const flipped = seed.slice(0, 10) + (seed[10] === "A" ? "B" : "A") + seed.slice(11);
    await Deno.writeTextFile(`${dir}/seed.creds`, text.replace(seed, flipped));
    await Deno.writeTextFile(`${dir}/noseed.creds`, text.slice(0, text.indexOf("*")));
    await withNats({ operator }, async (n) => {
      const where = `^bmpmon: BUS_URL=nats://127\\.0\\.0\\.1:${n.port}: cannot connect: `;
      const cases: [string, string, string][] = [
        [
          "a user of an account the server does not know",
          otherCreds,
          `${where}Authorization Violation$`,
        ],
        ["not a creds file", `${dir}/garbage.creds`, `${where}unable to parse credentials$`],
        ["the JWT without the seed", `${dir}/noseed.creds`, `${where}unable to parse credentials$`],
        ["a corrupt seed", `${dir}/seed.creds`, `${where}nkeys: invalid checksum$`],
        [
          "a user of an account without JetStream",
          noJsCreds,
          `${where.replace("cannot connect", "JetStream is not available")}JetStream not enabled`,
        ],
        [
          "no such file",
          `${dir}/none.creds`,
          `^bmpmon: BUS_CREDS_FILE=".*none\\.creds": No such file`,
        ],
      ];
      for (const [what, file, re] of cases) {
        await t.step(what, async () => {
          const r = await serveExit({ STORE: "none", BUS_URL: n.url, BUS_CREDS_FILE: file });
          assertOneLine(r, new RegExp(re));
          for (const s of [...seeds, flipped]) assert(!r.stderr.includes(s), "no seed shown");
        });
      }
    });
  }));
