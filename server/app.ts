// `slots serve`: the Staging Dashboard and its API on Fastify. Reads show the stack file on the
// remote's base branch plus the changes waiting for review; writes open a pull request through
// Writer (writes.ts) and never touch the base branch, the registry table or any cloud account.
//
// Who can do what: anyone who reaches the port may read (or only holders of a valid token, with
// readAuth "token"); a read runs this server's code only, and at most once per refreshSeconds for
// all readers together it fetches the remote (the server's git credentials) and lists the open
// pull requests of the pending branches (`gh pr list`, the server's GH_TOKEN; server/pullRequests.ts).
// Only a bearer JWT with the admin claim may claim or release, and all such a request can do is
// push one `slots/…` branch and open a pull request (cli/pullRequest.ts, as `slots claim --pr`
// does) with the server's own git and GitHub credentials, running this server's code. Review and
// `pulumi up` stay where they are.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

import rateLimit from "@fastify/rate-limit";
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

import { MAX_SLOTS } from "../components/catalogue";
import { slotArgument } from "../cli/args";
import { UsageError, UserError } from "../cli/io";
import { analyse, requireSettings } from "../cli/stack";
import { AuthConfig, AuthError, KeysUnavailable, Verify, requireAdmin, verifier } from "./auth";
import { renderPage, renderSlots } from "./dashboard";
import { openPullRequestUrls } from "./pullRequests";
import { Pending, RemoteConfig, RemoteError, baseStackText, pendingChanges, scrub, syncClone } from "./remote";
import { ApiSlots, LiveStateSource, apiSlots } from "./view";
import { ClaimBody, Refusal, Writer } from "./writes";

/** Everything `slots serve` is started with. */
export interface ServerOptions {
    readonly stack: string;
    readonly remote: RemoteConfig;
    readonly auth: AuthConfig;
    /** `open`: anyone may read; `token`: reads need a valid token (admin or not). */
    readonly readAuth: "open" | "token";
    /** Claims and releases one client address may send a minute. */
    readonly writesPerMinute: number;
    /** How old the read clone may get before a read fetches again. */
    readonly refreshSeconds: number;
    /** Take the client address from X-Forwarded-For (behind a reverse proxy only). */
    readonly trustProxy?: boolean;
    readonly now?: () => Date;
    readonly author?: { readonly name: string; readonly email: string };
    /** Live state per slot (the `slots status` logic); none = `live: null`. */
    readonly live?: LiveStateSource;
    /** pino level for the server's own log (errors, warnings); none = silent. */
    readonly logLevel?: "error" | "warn" | "info";
}

/** Request bodies are small: a claim is a few short strings. */
export const BODY_LIMIT_BYTES = 16 * 1024;

const text = (maxLength: number): Record<string, unknown> => ({ type: "string", maxLength });

/** PUT /api/staging/slots: types and sizes only; the CLI's validation judges the values. */
export const CLAIM_SCHEMA = {
    type: "object",
    additionalProperties: false,
    required: ["owner", "task", "branch"],
    properties: {
        slot_id: { type: "integer", minimum: 1, maximum: MAX_SLOTS },
        owner: text(500),
        task: text(500),
        branch: text(500),
        commit_sha: text(100),
        purpose: text(1000),
        pool: text(100),
        long_running: text(1000),
        wait: { type: "boolean" },
    },
} as const;

const ASSETS = path.join(__dirname, "assets");

interface Snapshot {
    readonly commit: string;
    readonly text: string;
    readonly pending: Pending;
    /** Open pull requests of the pending branches, by branch, as GitHub lists them. */
    readonly pullRequests: ReadonlyMap<string, string>;
    readonly at: number;
}

/**
 * One shared clone for reads, fetched again when older than refreshSeconds (or after a write).
 * Every git and gh call of a refresh is asynchronous, so requests that need no refresh (the
 * health check, reads within refreshSeconds) are answered while one runs.
 */
class Reader {
    private readonly dir = mkdtempSync(path.join(tmpdir(), "slots-serve-read-"));
    private current: Snapshot | undefined;
    private loading: { readonly generation: number; readonly promise: Promise<Snapshot> } | undefined;
    /** Counts invalidations: a fetch that began before the last one is not kept, nor shared. */
    private generation = 0;

    constructor(
        private readonly options: ServerOptions,
        private readonly now: () => Date,
        private readonly warn: (message: string) => void,
    ) {}

    invalidate(): void {
        this.current = undefined;
        this.generation++;
    }

    snapshot(): Promise<Snapshot> {
        const fresh = this.current && Date.now() - this.current.at < this.options.refreshSeconds * 1000;
        if (fresh) return Promise.resolve(this.current as Snapshot);
        // Reads that arrive together share one refresh. One begun before the last write is not
        // shared by the reads after it (it would show the remote as it was before the write):
        // they refresh again once it has finished, since refreshes take turns in the one clone.
        if (this.loading && this.loading.generation === this.generation) return this.loading.promise;
        const generation = this.generation;
        const before = this.loading?.promise.catch(() => undefined) ?? Promise.resolve(undefined);
        const promise: Promise<Snapshot> = before
            .then(() => this.load(generation))
            .finally(() => {
                if (this.loading?.promise === promise) this.loading = undefined;
            });
        this.loading = { generation, promise };
        return promise;
    }

    private async load(generation: number): Promise<Snapshot> {
        const { remote, stack } = this.options;
        const file = `Pulumi.${stack}.yaml`;
        await syncClone(this.dir, remote, this.now);
        const base = await baseStackText(this.dir, remote, file, this.now);
        const pending = await pendingChanges(this.dir, remote, stack, file, this.now);
        const pullRequests = await openPullRequestUrls(pending.heads, { dir: this.dir, env: remote.env, base: remote.baseBranch, warn: (m) => this.warn(scrub(m, remote.url)) });
        const snapshot = { ...base, pending, pullRequests, at: Date.now() };
        if (generation === this.generation) this.current = snapshot;
        return snapshot;
    }

    remove(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}

function sendError(reply: FastifyReply, status: number, lines: readonly string[]): FastifyReply {
    if (status === 401) reply.header("www-authenticate", 'Bearer realm="staging-slots"');
    return reply.code(status).type("application/json; charset=utf-8").send({ error: lines.join("\n"), lines });
}

/** The dashboard server, ready to listen; close() also removes its clone. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
    const now = options.now ?? (() => new Date());
    const verify: Verify = verifier(options.auth);
    const writer = new Writer({
        remote: options.remote,
        stack: options.stack,
        now,
        author: options.author ?? { name: "staging-slots dashboard", email: "staging-slots@users.noreply.github.com" },
    });
    const app = Fastify({
        logger: options.logLevel ? { level: options.logLevel } : false,
        bodyLimit: BODY_LIMIT_BYTES,
        trustProxy: options.trustProxy ?? false,
        // Strict input: no extra keys dropped silently, no "4" turned into 4.
        ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    });
    const reader = new Reader(options, now, (message) => app.log.warn(message));
    app.addHook("onClose", async () => reader.remove());
    // close() must not wait on the browsers' connections. Node's closeIdleConnections (Fastify's
    // forceCloseConnections: "idle") leaves two kinds open: a connection a browser opened and has
    // not sent a request on yet (a spare socket, seen from Chromium), and one whose request is still
    // being answered, which then stays open until keepAliveTimeout (Fastify's default: 72 s). So
    // close() ends every connection with no request being answered, and an answer given while
    // closing says Connection: close, so that its socket ends with it. Nothing being answered is cut.
    let closing = false;
    const answering = new Map<Socket, number>();
    app.server.on("connection", (socket: Socket) => {
        answering.set(socket, 0);
        socket.on("close", () => answering.delete(socket));
    });
    app.addHook("onRequest", async (request) => {
        const socket = request.raw.socket;
        answering.set(socket, (answering.get(socket) ?? 0) + 1);
    });
    app.addHook("onResponse", async (request) => {
        const socket = request.raw.socket;
        if (answering.has(socket)) answering.set(socket, Math.max(0, (answering.get(socket) ?? 1) - 1));
    });
    app.addHook("preClose", async () => {
        closing = true;
        for (const [socket, requests] of answering) if (requests === 0) socket.destroy();
    });
    app.addHook("onSend", async (_request, reply) => {
        if (closing) reply.header("connection", "close");
        reply.header("content-security-policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        reply.header("x-content-type-options", "nosniff");
        reply.header("referrer-policy", "no-referrer");
        reply.header("cache-control", "no-store");
    });
    await app.register(rateLimit, {
        global: false,
        errorResponseBuilder: (_request, context) => ({
            statusCode: 429,
            error: "Too Many Requests",
            message: `too many claims and releases from your address: at most ${context.max} a minute; try again in ${context.after}`,
        }),
    });

    app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown; validationContext?: string; code?: string }, request, reply) => {
        if (error instanceof AuthError) return sendError(reply, error.status, [error.message]);
        if (error instanceof KeysUnavailable) return sendError(reply, 503, [error.message]);
        if (error instanceof Refusal) return sendError(reply, error.status, error.lines);
        if (error instanceof RemoteError) return sendError(reply, 502, [error.message]);
        if (error instanceof UserError) return sendError(reply, 503, ["the stack file on the base branch cannot be read:", ...error.lines]);
        if (error.validation) return sendError(reply, 400, [`${error.validationContext ?? "request"}: ${error.message.replace(/^(body|params|querystring)\/?/, "")}`]);
        const status = error.statusCode ?? 500;
        if (status === 413) return sendError(reply, 413, [`the request body is larger than ${BODY_LIMIT_BYTES} bytes`]);
        if (status >= 400 && status < 500) return sendError(reply, status, [error.message]);
        request.log.error(error);
        return sendError(reply, 500, ["internal error; the server's log has the details"]);
    });
    app.setNotFoundHandler((request, reply) => sendError(reply, 404, [`no such page: ${request.method} ${request.url.split("?")[0]}; the dashboard is at /staging`]));

    const view = async (): Promise<ApiSlots> => {
        const snap = await reader.snapshot();
        const file = `Pulumi.${options.stack}.yaml`;
        const stack = analyse(options.stack, file, snap.text, now());
        const settings = requireSettings(stack, "show the slots");
        const live = options.live ? await options.live(settings) : new Map();
        return apiSlots({
            stack: options.stack,
            file,
            settings,
            source: { branch: options.remote.baseBranch, commit: snap.commit },
            now: now(),
            pending: snap.pending.changes,
            waits: snap.pending.waits,
            // GitHub's list, checked against each branch's commit, wins; the pull requests this
            // server opened are known before GitHub lists them, and when gh cannot answer.
            pullRequests: new Map([...writer.pullRequests, ...snap.pullRequests]),
            live,
        });
    };
    const mayRead = async (request: FastifyRequest): Promise<void> => {
        if (options.readAuth === "token") await verify(request.headers.authorization);
    };
    const writeRoute = { config: { rateLimit: { max: options.writesPerMinute, timeWindow: 60_000, groupId: "writes" } } };

    app.get("/", (_request, reply) => reply.redirect("/staging"));
    app.get("/healthz", async () => ({ ok: true }));
    // Browsers ask for it on every page; the dashboard has none.
    app.get("/favicon.ico", (_request, reply) => reply.code(204).send());
    app.get("/staging", async (request, reply) => {
        let data: ApiSlots | undefined;
        if (options.readAuth === "open" || request.headers.authorization) {
            await mayRead(request);
            data = await view();
        }
        return reply.type("text/html; charset=utf-8").send(renderPage(options.stack, data));
    });
    app.get("/staging/slots", async (request, reply) => {
        await mayRead(request);
        return reply.type("text/html; charset=utf-8").send(renderSlots(await view()));
    });
    for (const [name, type] of [["dashboard.js", "text/javascript"], ["dashboard.css", "text/css"]] as const) {
        const body = readFileSync(path.join(ASSETS, name), "utf8");
        app.get(`/staging/${name}`, (_request, reply) => reply.type(`${type}; charset=utf-8`).send(body));
    }
    app.get("/api/staging/slots", async (request) => {
        await mayRead(request);
        return view();
    });
    app.put<{ Body: ClaimBody }>("/api/staging/slots", { ...writeRoute, schema: { body: CLAIM_SCHEMA } }, async (request, reply) => {
        const caller = await requireAdmin(verify, request.headers.authorization);
        try {
            return reply.code(202).send(await writer.claim(request.body, caller));
        } finally {
            reader.invalidate();
        }
    });
    app.post<{ Params: { slot_id: string } }>("/api/staging/slots/:slot_id/release", writeRoute, async (request, reply) => {
        const caller = await requireAdmin(verify, request.headers.authorization);
        let slot: number;
        try {
            slot = slotArgument(request.params.slot_id, "");
        } catch (e) {
            if (e instanceof UsageError) return sendError(reply, 400, [`slot_id ${e.message}`]);
            throw e;
        }
        try {
            const result = await writer.release(slot, caller);
            return reply.code(result.pull_request_url === null ? 200 : 202).send(result);
        } finally {
            reader.invalidate();
        }
    });
    return app;
}
