// How the registry provider reaches its database: retries on transient failures only, the
// managed cluster's credentials and CA from a stand-in of DigitalOcean's API, and a TLS
// connection that verifies the server's certificate and host name (libpq's verify-full).

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import { AddressInfo, Server as NetServer, Socket, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TLSSocket } from "node:tls";

import { clientConfig, connect } from "../../components/registry/provider";
import { HttpStatusError, RetryPolicy, isTransient, withRetries } from "../../components/registry/retries";
import { itNeeds } from "../helpers/tools";

const FAST: RetryPolicy = { attempts: 4, firstDelayMs: 5, maxDelayMs: 20, totalMs: 5_000 };
const codeError = (code: string): Error => Object.assign(new Error(code), { code });

describe("registry retries", function () {
    const cases: [string, unknown, boolean][] = [
        ["HTTP 429", new HttpStatusError("slow down", 429), true],
        ["HTTP 503", new HttpStatusError("unavailable", 503), true],
        ["HTTP 500", new HttpStatusError("oops", 500), true],
        ["HTTP 401", new HttpStatusError("bad token", 401), false],
        ["HTTP 404", new HttpStatusError("no such cluster", 404), false],
        ["refused connection", codeError("ECONNREFUSED"), true],
        ["DNS name of a new cluster not resolving yet", codeError("ENOTFOUND"), true],
        ["fetch's socket error, as its cause", new TypeError("fetch failed", { cause: codeError("UND_ERR_SOCKET") }), true],
        ["fetch timeout", Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" }), true],
        ["node-postgres connect timeout", new Error("timeout expired"), true],
        ["server starting up (57P03)", codeError("57P03"), true],
        ["too many connections (53300)", codeError("53300"), true],
        ["wrong password (28P01)", codeError("28P01"), false],
        ["certificate that does not verify", codeError("SELF_SIGNED_CERT_IN_CHAIN"), false],
        ["host name not in the certificate", codeError("ERR_TLS_CERT_ALTNAME_INVALID"), false],
        ["plain error", new Error("boom"), false],
    ];
    for (const [what, error, transient] of cases) {
        it(`${transient ? "retries" : "does not retry"} ${what}`, function () {
            expect(isTransient(error)).to.equal(transient);
        });
    }

    it("succeeds on the third try after two transient failures", async function () {
        let tries = 0;
        const result = await withRetries("reading x", async () => {
            tries += 1;
            if (tries < 3) throw new HttpStatusError("busy", 503);
            return "ok";
        }, FAST);
        expect(result).to.equal("ok");
        expect(tries).to.equal(3);
    });

    it("fails at once, with the error as it was, when the failure is not transient", async function () {
        let tries = 0;
        const error = await withRetries("reading x", async () => {
            tries += 1;
            throw new HttpStatusError("reading x failed with HTTP 401", 401);
        }, FAST).then(() => undefined, (e: Error) => e);
        expect(tries).to.equal(1);
        expect(error?.message).to.equal("reading x failed with HTTP 401");
    });

    it("after the last try names what was tried, how often, and the last failure", async function () {
        let tries = 0;
        const error = await withRetries("reading database cluster c1 (GET http://api/v2/databases/c1)", async () => {
            tries += 1;
            throw new HttpStatusError(`HTTP 429 on try ${tries}`, 429);
        }, FAST).then(() => undefined, (e: Error) => e);
        expect(tries).to.equal(FAST.attempts);
        expect(error?.message).to.match(/^reading database cluster c1 \(GET http:\/\/api\/v2\/databases\/c1\) failed after 4 tries over [\d.]+s \(retried on HTTP 429 and 5xx, timeouts and refused connections, for at most 5s\): HTTP 429 on try 4$/);
    });

    it("starts no new try once the total time is used up", async function () {
        let tries = 0;
        const started = Date.now();
        const error = await withRetries("x", async () => {
            tries += 1;
            await new Promise((r) => setTimeout(r, 60));
            throw codeError("ECONNREFUSED");
        }, { attempts: 50, firstDelayMs: 5, maxDelayMs: 10, totalMs: 200 }).then(() => undefined, (e: Error) => e);
        expect(error?.message).to.match(/failed after \d+ tries/);
        expect(tries).to.be.within(2, 5);
        expect(Date.now() - started).to.be.below(1_000);
    });
});

/** A stand-in for DigitalOcean's API on loopback: answers each path from a list of responses, in turn. */
async function fakeApi(routes: Record<string, { status: number; body?: unknown }[]>): Promise<{ url: string; calls: string[]; auth: string[]; close(): Promise<void> }> {
    const calls: string[] = [];
    const auth: string[] = [];
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const url = req.url ?? "";
        calls.push(url);
        auth.push(String(req.headers.authorization));
        const queue = routes[url];
        const answer = queue && queue.length > 1 ? queue.shift() : queue?.[0];
        res.writeHead(answer?.status ?? 404, { "Content-Type": "application/json" });
        res.end(JSON.stringify(answer?.body ?? { id: "not_found" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, calls, auth, close: () => new Promise((r) => server.close(() => r())) };
}

const CLUSTER = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
const TARGET = { kind: "managed", clusterId: CLUSTER, database: "staging_registry" } as const;
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const CONNECTION = { host: "db-staging.example.db.ondigitalocean.com", port: 25060, user: "doadmin", password: "pw-from-api" };

describe("registry connection to the managed cluster", function () {
    it("reads credentials and the cluster's CA from the API, retrying 429 and 503, and verifies the server with that CA", async function () {
        const api = await fakeApi({
            [`/v2/databases/${CLUSTER}`]: [{ status: 429 }, { status: 503 }, { status: 200, body: { database: { connection: CONNECTION } } }],
            [`/v2/databases/${CLUSTER}/ca`]: [{ status: 502 }, { status: 200, body: { ca: { certificate: Buffer.from(PEM).toString("base64") } } }],
        });
        try {
            const config = await clientConfig(TARGET, { digitaloceanToken: "dop_v1_test" }, { DIGITALOCEAN_API_URL: `${api.url}/` }, { retry: FAST });
            expect(config).to.include({ host: CONNECTION.host, port: CONNECTION.port, user: "doadmin", password: "pw-from-api", database: "staging_registry" });
            expect(config.ssl).to.deep.equal({ ca: PEM, rejectUnauthorized: true });
            expect(api.calls).to.deep.equal([
                `/v2/databases/${CLUSTER}`,
                `/v2/databases/${CLUSTER}`,
                `/v2/databases/${CLUSTER}`,
                `/v2/databases/${CLUSTER}/ca`,
                `/v2/databases/${CLUSTER}/ca`,
            ]);
            expect(new Set(api.auth)).to.deep.equal(new Set(["Bearer dop_v1_test"]));
        } finally {
            await api.close();
        }
    });

    /** clientConfig's error against a stand-in API answering `routes`, and the paths it was asked for. */
    async function failure(routes: Parameters<typeof fakeApi>[0]): Promise<{ message: string; calls: string[]; api: string }> {
        const api = await fakeApi(routes);
        try {
            const error = await clientConfig(TARGET, { digitaloceanToken: "t" }, { DIGITALOCEAN_API_URL: api.url }, { retry: FAST }).then(() => undefined, (e: Error) => e);
            return { message: error?.message ?? "(no error)", calls: api.calls, api: api.url };
        } finally {
            await api.close();
        }
    }

    it("refuses to connect unverified when the API has no CA certificate", async function () {
        const r = await failure({
            [`/v2/databases/${CLUSTER}`]: [{ status: 200, body: { database: { connection: CONNECTION } } }],
            [`/v2/databases/${CLUSTER}/ca`]: [{ status: 200, body: { ca: {} } }],
        });
        expect(r.message).to.equal(`DigitalOcean returned no CA certificate for database cluster ${CLUSTER}; the registry will not connect unverified`);
    });

    it("a rejected token fails on the first try, naming the cluster and the scope to check", async function () {
        const r = await failure({ [`/v2/databases/${CLUSTER}`]: [{ status: 401 }] });
        expect(r.message).to.equal(`reading database cluster ${CLUSTER} from DigitalOcean failed with HTTP 401; check the token's read scope on databases`);
        expect(r.calls).to.have.length(1);
    });

    it("an API that keeps failing is given up after the last try, with the request named", async function () {
        const r = await failure({ [`/v2/databases/${CLUSTER}`]: [{ status: 500 }] });
        expect(r.message).to.contain(`reading database cluster ${CLUSTER} from DigitalOcean (GET ${r.api}/v2/databases/${CLUSTER}) failed after 4 tries`);
        expect(r.message).to.contain("HTTP 500");
        expect(r.calls).to.have.length(4);
    });
});

/**
 * A PostgreSQL stand-in that speaks just enough of the protocol to test TLS: it accepts the
 * SSLRequest, completes the handshake with `cert`/`key`, then refuses the login with SQLSTATE
 * 28P01. It counts completed handshakes and connections.
 */
async function fakeTlsPostgres(cert: string, key: string): Promise<{ port: number; handshakes: () => number; connections: () => number; close(): Promise<void> }> {
    let handshakes = 0;
    let connections = 0;
    const sockets = new Set<Socket>();
    const server: NetServer = createNetServer((socket) => {
        connections += 1;
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.once("data", (request) => {
            // SSLRequest: length 8, code 80877103.
            if (request.length !== 8 || request.readInt32BE(4) !== 80877103) {
                socket.destroy();
                return;
            }
            socket.write("S");
            const tls = new TLSSocket(socket, { isServer: true, cert, key });
            tls.on("error", () => socket.destroy());
            tls.on("secure", () => {
                handshakes += 1;
                tls.once("data", () => {
                    const fields = Buffer.from("SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"doadmin\"\0\0");
                    const header = Buffer.alloc(5);
                    header.write("E", 0);
                    header.writeInt32BE(fields.length + 4, 1);
                    tls.end(Buffer.concat([header, fields]));
                });
            });
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
        port: (server.address() as AddressInfo).port,
        handshakes: () => handshakes,
        connections: () => connections,
        close: () =>
            new Promise((r) => {
                for (const s of sockets) s.destroy();
                server.close(() => r());
            }),
    };
}

describe("registry TLS against a server with the cluster's certificate", function () {
    this.timeout(30_000);
    let dir = "";
    let pems: { ca: string; otherCa: string; cert: string; key: string } | undefined;

    before(function () {
        dir = mkdtempSync(path.join(tmpdir(), "registry-tls-"));
    });
    after(function () {
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A CA, a server certificate it signs for `localhost` only, and an unrelated second CA. */
    function certificates(): { ca: string; otherCa: string; cert: string; key: string } {
        if (pems) return pems;
        const ssl = (...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
        writeFileSync(path.join(dir, "san.ext"), "subjectAltName=DNS:localhost\n");
        for (const name of ["ca", "other-ca"]) {
            ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.pem`);
        }
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr");
        ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem");
        const file = (f: string): string => readFileSync(path.join(dir, f), "utf8");
        pems = { ca: file("ca.pem"), otherCa: file("other-ca.pem"), cert: file("server.pem"), key: file("server.key") };
        return pems;
    }

    async function attempt(host: string, ca: (p: { ca: string; otherCa: string }) => string): Promise<{ error: Error & { code?: string }; handshakes: number; connections: number }> {
        const p = certificates();
        const server = await fakeTlsPostgres(p.cert, p.key);
        try {
            const error = await connect(
                { host, port: server.port, user: "doadmin", password: "pw", database: "staging_registry", ssl: { ca: ca(p), rejectUnauthorized: true }, connectionTimeoutMillis: 5_000 },
                FAST,
            ).then(
                async (client) => {
                    await client.end();
                    return new Error("connected") as Error & { code?: string };
                },
                (e: Error & { code?: string }) => e,
            );
            return { error, handshakes: server.handshakes(), connections: server.connections() };
        } finally {
            await server.close();
        }
    }

    itNeeds(["openssl"], "with the cluster's CA and its host name the handshake completes (the login then fails once, not retried)", async function () {
        const r = await attempt("localhost", (p) => p.ca);
        expect(r.handshakes).to.equal(1);
        expect(r.connections).to.equal(1);
        expect(r.error.message).to.contain("password authentication failed");
    });

    itNeeds(["openssl"], "a certificate the cluster's CA did not sign is refused, on the first try", async function () {
        const r = await attempt("localhost", (p) => p.otherCa);
        expect(r.handshakes).to.equal(0);
        expect(r.connections).to.equal(1);
        expect(r.error.code).to.match(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT_SIGNATURE/);
    });

    itNeeds(["openssl"], "a host name the certificate does not name is refused (verify-full), on the first try", async function () {
        const r = await attempt("127.0.0.1", (p) => p.ca);
        expect(r.connections).to.equal(1);
        expect(r.error.code).to.equal("ERR_TLS_CERT_ALTNAME_INVALID");
    });
});
