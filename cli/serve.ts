// `slots serve`: starts the Staging Dashboard and its API (server/app.ts) and runs until SIGINT or
// SIGTERM. Settings come from options; secrets only from the environment (SLOTS_JWT_SECRET, and
// GH_TOKEN for gh, and the registry URL may come from STAGING_REGISTRY_URL as for slots status),
// so they need be in no process listing.

import type { FastifyInstance } from "fastify";

import { parseCommand } from "./args";
import { SERVE_HELP } from "./help";
import { Io, UsageError, UserError } from "./io";
import { registryUrl } from "./registryRead";
import { checkUrlTemplate, timeoutOption } from "./status";

function whole(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`, SERVE_HELP);
    return Number(text);
}

/** A started server: its address, and how to stop it. */
export interface Started {
    readonly app: FastifyInstance;
    readonly url: string;
}

/** Parses `slots serve` options, builds the server and starts listening. */
export async function startServer(argv: readonly string[], io: Io): Promise<Started | undefined> {
    const options = {
        port: { type: "string" },
        host: { type: "string" },
        remote: { type: "string" },
        base: { type: "string" },
        "github-repo": { type: "string" },
        "jwks-url": { type: "string" },
        "jwt-issuer": { type: "string" },
        "jwt-audience": { type: "string" },
        "read-auth": { type: "string" },
        "writes-per-minute": { type: "string" },
        "refresh-seconds": { type: "string" },
        "trust-proxy": { type: "boolean" },
        // Live state: the options of slots status, and how long one probe of the slots is shown.
        "url-template": { type: "string" },
        timeout: { type: "string" },
        "registry-url": { type: "string" },
        "live-seconds": { type: "string" },
        "no-live": { type: "boolean" },
    } as const;
    const args = parseCommand(argv, options, SERVE_HELP, 0);
    if (args.help) {
        io.stdout(SERVE_HELP);
        return undefined;
    }
    const port = whole(args.string("port"), "port", 8080, 0, 65535);
    const readAuth = args.string("read-auth") ?? "open";
    if (readAuth !== "open" && readAuth !== "token") throw new UsageError(`--read-auth is open or token, got "${readAuth}"`, SERVE_HELP);
    const remoteUrl = args.string("remote") ?? io.env.SLOTS_REMOTE;
    if (!remoteUrl) throw new UsageError("which repository? pass --remote URL (or set SLOTS_REMOTE): the git remote the server clones and pushes branches to", SERVE_HELP);
    if (remoteUrl.startsWith("-")) throw new UsageError(`--remote "${remoteUrl}" is not a git URL`, SERVE_HELP);
    const base = args.string("base") ?? "main";
    const timeoutSeconds = timeoutOption(args.string("timeout"), SERVE_HELP);
    const template = args.string("url-template");
    if (template !== undefined) checkUrlTemplate(template, SERVE_HELP);
    const liveSeconds = whole(args.string("live-seconds"), "live-seconds", 30, 0, 3600);
    const noLive = args.flag("no-live");
    const registry = registryUrl(args.string("registry-url"), io.env);
    if (noLive && (template !== undefined || args.string("timeout") !== undefined || args.string("registry-url") !== undefined || args.string("live-seconds") !== undefined)) {
        throw new UsageError("--no-live turns probing off; leave out --url-template, --timeout, --registry-url and --live-seconds", SERVE_HELP);
    }

    // Loaded here so the other commands start without the HTTP stack.
    const { authProblems } = require("../server/auth") as typeof import("../server/auth");
    const { buildServer } = require("../server/app") as typeof import("../server/app");
    const { statusLiveSource } = require("../server/live") as typeof import("../server/live");

    const auth = {
        ...(io.env.SLOTS_JWT_SECRET ? { secret: io.env.SLOTS_JWT_SECRET } : {}),
        ...(args.string("jwks-url") ? { jwksUrl: args.string("jwks-url") } : {}),
        ...(args.string("jwt-issuer") ? { issuer: args.string("jwt-issuer") } : {}),
        ...(args.string("jwt-audience") ? { audience: args.string("jwt-audience") } : {}),
    };
    const problems = authProblems(auth);
    if (problems.length > 0) throw new UserError(problems);
    const repo = args.string("github-repo");
    if (repo !== undefined && !/^([A-Za-z0-9.-]+\/)?[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) throw new UsageError(`--github-repo must be OWNER/NAME (or HOST/OWNER/NAME), got "${repo}"`, SERVE_HELP);

    const app = await buildServer({
        stack: args.stack,
        // gh finds the repository from the clone's remote, or from GH_REPO when it is set.
        remote: { url: remoteUrl, baseBranch: base, env: repo ? { ...io.env, GH_REPO: repo } : io.env },
        auth,
        readAuth,
        writesPerMinute: whole(args.string("writes-per-minute"), "writes-per-minute", 10, 1, 10_000),
        refreshSeconds: whole(args.string("refresh-seconds"), "refresh-seconds", 10, 0, 3600),
        trustProxy: args.flag("trust-proxy"),
        ...(noLive
            ? {}
            : {
                  live: statusLiveSource({
                      stack: args.stack,
                      timeoutSeconds,
                      cacheSeconds: liveSeconds,
                      ...(template === undefined ? {} : { urlTemplate: template }),
                      ...(registry === undefined ? {} : { registryUrl: registry }),
                  }),
              }),
        now: io.now,
        logLevel: "warn",
    });
    let url: string;
    try {
        url = await app.listen({ port, host: args.string("host") ?? "127.0.0.1" });
    } catch (e) {
        await app.close();
        throw new UserError([`cannot listen on port ${port}: ${(e as Error).message}`]);
    }
    io.stdout(`Staging Dashboard for stack ${args.stack} at ${url}/staging (API: ${url}/api/staging/slots); pull requests go to ${base}${repo ? ` of ${repo}` : ""}. Stop with Ctrl-C.\n`);
    return { app, url };
}

/** `slots serve`. */
export async function serveCommand(argv: readonly string[], io: Io): Promise<number> {
    const started = await startServer(argv, io);
    if (!started) return 0;
    await new Promise<void>((resolve) => {
        const stop = (): void => {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
    });
    await started.app.close();
    return 0;
}
