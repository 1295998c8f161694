// A git server over HTTP on loopback that, like GitHub, answers 401 to a request without the right
// Basic credential: `git http-backend` (git's own smart-HTTP CGI program) behind a node:http server
// that checks the Authorization header first. For the tests of the workflow steps that push or
// fetch with a token, so that a step which sends no credential, or the wrong one, fails as it
// would on GitHub. Listens on a random free port; close() stops it.

import { spawn } from "node:child_process";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GitHttpServer {
    /** The URL of the bare repository `name` (a folder under the served root). */
    url(name: string): string;
    /** The user name of every request that carried the right credential, in order. */
    readonly users: string[];
    /** How many requests were refused for a missing or wrong credential. */
    refused(): number;
    close(): Promise<void>;
}

/** One CGI response header block, split from its body (RFC 3875 section 6: a blank line ends it). */
function splitCgi(out: Buffer): { status: number; headers: Record<string, string>; body: Buffer } {
    let end = out.indexOf("\r\n\r\n");
    let sep = 4;
    if (end === -1) {
        end = out.indexOf("\n\n");
        sep = 2;
    }
    if (end === -1) return { status: 502, headers: {}, body: out };
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of out.subarray(0, end).toString("latin1").split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i === -1) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
        else headers[name] = value;
    }
    return { status, headers, body: out.subarray(end + sep) };
}

/**
 * Serves the bare repositories under `root`, to requests whose Basic credential is `user` and
 * `password` only. Pushes are allowed (git http-backend enables receive-pack once REMOTE_USER is
 * set, git-http-backend(1)).
 */
export async function gitHttpServer(root: string, user: string, password: string): Promise<GitHttpServer> {
    const expected = `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
    const users: string[] = [];
    let refusals = 0;
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
        if (req.headers.authorization !== expected) {
            refusals++;
            res.writeHead(401, { "WWW-Authenticate": 'Basic realm="test"', "Content-Type": "text/plain" });
            res.end("authentication required\n");
            return;
        }
        users.push(user);
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const cgi = spawn("git", ["http-backend"], {
            env: {
                PATH: process.env.PATH,
                GIT_PROJECT_ROOT: root,
                GIT_HTTP_EXPORT_ALL: "1",
                GIT_CONFIG_NOSYSTEM: "1",
                HOME: root,
                REQUEST_METHOD: req.method ?? "GET",
                PATH_INFO: decodeURIComponent(url.pathname),
                QUERY_STRING: url.search.replace(/^\?/, ""),
                CONTENT_TYPE: req.headers["content-type"] ?? "",
                HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
                GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
                REMOTE_USER: user,
                REMOTE_ADDR: "127.0.0.1",
            },
            stdio: ["pipe", "pipe", "ignore"],
        });
        const chunks: Buffer[] = [];
        cgi.stdout.on("data", (d: Buffer) => chunks.push(d));
        cgi.on("close", () => {
            const { status, headers, body } = splitCgi(Buffer.concat(chunks));
            res.writeHead(status, headers);
            res.end(body);
        });
        // http-backend may exit before it has read a whole request body: that is its answer, not a crash of the test.
        cgi.stdin.on("error", () => undefined);
        req.pipe(cgi.stdin);
    };
    const server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: (name) => `http://127.0.0.1:${port}/${name}`,
        users,
        refused: () => refusals,
        close: () =>
            new Promise<void>((resolve, reject) => {
                server.close((e) => (e ? reject(e) : resolve()));
                // git's keep-alive connections would hold close() open until they time out.
                server.closeAllConnections();
            }),
    };
}
