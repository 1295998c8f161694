// Real HTTP servers standing in for the slots' apps: one per slot, each on its own loopback
// address (127.0.0.N) and one random free port shared by all, so that
// --url-template 'http://127.0.0.{slot}:PORT' reaches slot N's server. Each server behaves as one
// case of `slots status` needs: the claimed commit, another one, the slot-is-free page, a 500,
// an answer slower than the timeout, a connection that never answers, or no server at all.

import { once } from "node:events";
import { Server, ServerResponse, createServer } from "node:http";
import { Socket } from "node:net";

import { slotLayout } from "../../components/catalogue";
import { renderCaddyfile } from "../../components/caddyfile";
import { COMMIT, STACK_TEXT } from "./harness";

/** When the claims of stackWithClaims were made. */
export const CLAIMED_AT = "2026-11-23T10:00:00Z";

/** A stack file with a claim of COMMIT on each of `slots` (slotCount `count`, default pools), made at `claimedAt`. */
export function stackWithClaims(slots: readonly number[], count = 10, claimedAt = CLAIMED_AT): string {
    const claims = slots
        .map((n) => `    "${n}":\n      owner: owner-${n}\n      task: JOB-${n}\n      branch: feature/${n}\n      commit: "${COMMIT}"\n      claimedAt: "${claimedAt}"\n      pool: ${n === count ? "staging" : "qa"}`)
        .join("\n");
    return STACK_TEXT.replace("staging-slots:slotCount: 10", `staging-slots:slotCount: ${count}`)
        .replace(/  staging-slots:pools:\n    qa: \[[^\]]*\]\n    staging: \[10\]\n/, "")
        .replace("staging-slots:claims: {}", slots.length > 0 ? `staging-slots:claims:\n${claims}` : "staging-slots:claims: {}");
}

export type Behaviour =
    | { readonly kind: "commit"; readonly commit: string }
    | { readonly kind: "free" }
    | { readonly kind: "status"; readonly status: number }
    | { readonly kind: "slow"; readonly delayMs: number; readonly commit: string }
    | { readonly kind: "hang" }
    | { readonly kind: "none" };

/** The page Caddy serves for a free slot, taken from the real Caddyfile. */
export function freePageOf(slot: number): string {
    const text = renderCaddyfile({ slots: [slotLayout(slot, "justapply.net")] });
    const m = /respond `([\s\S]*?)` 503/.exec(text);
    if (!m) throw new Error("the Caddyfile has no free page");
    return m[1];
}

/** The running servers. */
export interface SlotServers {
    readonly port: number;
    /** `http://127.0.0.{slot}:PORT`. */
    readonly template: string;
    /** Requests each slot's server received. */
    readonly hits: Map<number, number>;
    close(): Promise<void>;
}

function answer(res: ServerResponse, status: number, type: string, body: string): void {
    res.writeHead(status, { "Content-Type": type });
    res.end(body);
}

async function listen(server: Server, host: string, port: number): Promise<number> {
    server.listen(port, host);
    await Promise.race([once(server, "listening"), once(server, "error").then(([e]) => Promise.reject(e))]);
    const address = server.address();
    if (typeof address !== "object" || !address) throw new Error("no address");
    return address.port;
}

async function startOnPort(behaviours: ReadonlyMap<number, Behaviour>, port: number, hits: Map<number, number>): Promise<{ port: number; servers: Server[]; sockets: Set<Socket>; timers: Set<NodeJS.Timeout> }> {
    const servers: Server[] = [];
    const sockets = new Set<Socket>();
    const timers = new Set<NodeJS.Timeout>();
    const entries = [...behaviours].filter(([, b]) => b.kind !== "none");
    try {
        for (const [slot, b] of entries) {
            const server = createServer((req, res) => {
                hits.set(slot, (hits.get(slot) ?? 0) + 1);
                if (req.url !== "/api/version") return answer(res, 404, "text/plain", "not found");
                switch (b.kind) {
                    case "commit":
                        return answer(res, 200, "application/json", JSON.stringify({ commit: b.commit, slot: `staging-${slot}` }));
                    case "free":
                        return answer(res, 503, "text/html; charset=utf-8", freePageOf(slot));
                    case "status":
                        return answer(res, b.status, "text/plain", "Internal Server Error");
                    case "slow": {
                        const t = setTimeout(() => answer(res, 200, "application/json", JSON.stringify({ commit: b.commit })), b.delayMs);
                        timers.add(t);
                        return;
                    }
                    case "hang":
                        return;
                }
            });
            server.on("connection", (s: Socket) => {
                sockets.add(s);
                s.on("close", () => sockets.delete(s));
            });
            servers.push(server);
            port = await listen(server, `127.0.0.${slot}`, port);
        }
    } catch (e) {
        for (const s of sockets) s.destroy();
        await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
        throw e;
    }
    return { port, servers, sockets, timers };
}

async function closedPort(): Promise<number> {
    const server = createServer();
    const port = await listen(server, "127.0.0.1", 0);
    await new Promise((r) => server.close(r));
    return port;
}

/** Starts one server per slot of `behaviours` ("none" starts nothing: connection refused). */
export async function startSlotServers(behaviours: ReadonlyMap<number, Behaviour>): Promise<SlotServers> {
    const hits = new Map<number, number>();
    // The first listen picks a free port on 127.0.0.1; another slot's address may have it taken
    // by someone else, so try again with a new port a few times.
    for (let attempt = 0; ; attempt++) {
        try {
            const { port: found, servers, sockets, timers } = await startOnPort(behaviours, 0, hits);
            // With no server at all, any port nobody listens on will do.
            const port = servers.length > 0 ? found : await closedPort();
            return {
                port,
                template: `http://127.0.0.{slot}:${port}`,
                hits,
                async close() {
                    for (const t of timers) clearTimeout(t);
                    for (const s of sockets) s.destroy();
                    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
                },
            };
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 5) throw e;
        }
    }
}

/**
 * Registers mocha hooks that start the servers before the suite and close them after; the
 * returned function gives them to the tests.
 */
export function useSlotServers(behaviours: ReadonlyMap<number, Behaviour>): () => SlotServers {
    let servers: SlotServers | undefined;
    before(async () => {
        servers = await startSlotServers(behaviours);
    });
    after(async () => servers?.close());
    return () => {
        if (!servers) throw new Error("the slot servers did not start; see the before hook's error");
        return servers;
    };
}
