// Images built once: the rules of `staging-slots:images` and `staging-slots:registry`, and the
// names everything else derives from them (the checkout a build reads, an image's resource name
// and repository, the pins a slot's deployment receives). Pure: plain values in, plain values and
// problems out.

import { CONTROL, describe, isPlainObject } from "./configValues";
import type { Problem } from "./validation";

/** Where `slots fetch` puts each claimed commit's checkout, relative to the project root. */
export const CHECKOUT_CACHE = ".slots-cache";

/** The DigitalOcean container registry's server. */
export const DO_REGISTRY_SERVER = "registry.digitalocean.com";

/** One compose service built once per claimed commit, as written under `images.<service>`. */
export interface ImageService {
    /** The compose service whose image this is. */
    readonly service: string;
    /** Build context, relative to the app repository's root. */
    readonly context: string;
    /** Dockerfile, relative to the repository's root; default `<context>/Dockerfile`. */
    readonly dockerfile: string;
    /** Build stage to stop at; optional. */
    readonly target?: string;
    /** Build arguments (plain values). */
    readonly args: Readonly<Record<string, string>>;
}

/** The registry images are pushed to and pulled from. */
export interface ImageRegistry {
    /** True when this program creates it (no `registry` key); false for an existing one. */
    readonly create: boolean;
    /** The registry's name on DigitalOcean. */
    readonly name: string;
    /** Its server, e.g. `registry.digitalocean.com`. */
    readonly server: string;
}

/** `staging-slots:images` and `registry`, validated. */
export interface ImageSettings {
    /** Sorted by service name. */
    readonly services: readonly ImageService[];
    readonly registry: ImageRegistry;
}

/** The keys an image entry may have. */
export const IMAGE_FIELDS = ["context", "dockerfile", "target", "args"] as const;

const SERVICE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const REGISTRY_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TARGET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Why `p` is not a path inside the repository, or undefined when it is. */
export function repoPathProblem(p: string): string | undefined {
    if (p.length === 0 || p.length > 200) return "must be a path of 1 to 200 characters";
    if (!/^[A-Za-z0-9._/-]+$/.test(p)) return "may contain only letters, digits and . _ / -";
    if (p.startsWith("/")) return "must be relative to the app repository's root, not absolute";
    if (p.split("/").some((part) => part === "..")) return "must stay inside the app repository (no '..')";
    if (p.startsWith("-")) return "must not start with '-'";
    return undefined;
}

function normalise(p: string): string {
    const parts = p.split("/").filter((x) => x !== "" && x !== ".");
    return parts.length === 0 ? "." : parts.join("/");
}

function validateService(problems: Problem[], service: string, entry: unknown): ImageService | undefined {
    const base = `images.${service}`;
    if (!SERVICE.test(service)) {
        problems.push({ field: base, message: `"${service}" is not a compose service name (lowercase letters, digits, '-' and '_')` });
        return undefined;
    }
    if (!isPlainObject(entry)) {
        problems.push({ field: base, message: `must be a map with context (and optional dockerfile, target, args), got ${describe(entry)}` });
        return undefined;
    }
    for (const key of Object.keys(entry)) {
        if (!(IMAGE_FIELDS as readonly string[]).includes(key)) {
            problems.push({ field: `${base}.${key}`, message: `unknown image field "${key}"; the fields are ${IMAGE_FIELDS.join(", ")}` });
        }
    }
    const repoPath = (key: "context" | "dockerfile", v: unknown, def?: string): string | undefined => {
        if (v === undefined || v === null) {
            if (def === undefined && key === "context") {
                problems.push({ field: `${base}.context`, message: 'context is required: the build context inside the app repository, e.g. "."' });
            }
            return def;
        }
        const why = typeof v === "string" ? repoPathProblem(v) : `must be a string, got ${describe(v)}`;
        if (why) {
            problems.push({ field: `${base}.${key}`, message: `${key} ${why}` });
            return undefined;
        }
        return normalise(v as string);
    };
    const context = repoPath("context", entry.context);
    const dockerfile = repoPath("dockerfile", entry.dockerfile, context === undefined ? undefined : normalise(`${context}/Dockerfile`));
    let target: string | undefined;
    if (entry.target !== undefined && entry.target !== null) {
        if (typeof entry.target !== "string" || !TARGET.test(entry.target)) {
            problems.push({ field: `${base}.target`, message: `target must be a build stage name (letters, digits, . _ -), got ${describe(entry.target)}` });
        } else {
            target = entry.target;
        }
    }
    const args: Record<string, string> = {};
    if (entry.args !== undefined && entry.args !== null) {
        if (!isPlainObject(entry.args)) {
            problems.push({ field: `${base}.args`, message: `must be a map of NAME: value, got ${describe(entry.args)}` });
        } else {
            for (const name of Object.keys(entry.args).sort()) {
                const value = entry.args[name];
                if (!ARG_NAME.test(name)) {
                    problems.push({ field: `${base}.args.${name}`, message: "build argument names are letters, digits and _" });
                } else if (name === "APP_COMMIT" || name === "BUILDKIT_INLINE_CACHE") {
                    problems.push({ field: `${base}.args.${name}`, message: `${name} is set for every image (the commit it is built of; its build cache); remove it` });
                } else if ((typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") || CONTROL.test(String(value))) {
                    problems.push({ field: `${base}.args.${name}`, message: `must be one line of plain text (never a secret: build arguments stay in the image), got ${describe(value)}` });
                } else {
                    args[name] = String(value);
                }
            }
        }
    }
    if (context === undefined || dockerfile === undefined) return undefined;
    return { service, context, dockerfile, ...(target ? { target } : {}), args };
}

function validateRegistry(problems: Problem[], raw: unknown, projectName: string): ImageRegistry | undefined {
    if (raw === undefined || raw === null) {
        if (REGISTRY_NAME.test(projectName)) return { create: true, name: projectName, server: DO_REGISTRY_SERVER };
        problems.push({ field: "registry", message: `a registry named after projectName "${projectName}" would not be a valid registry name; set registry: {server, name} for an existing one` });
        return undefined;
    }
    if (!isPlainObject(raw)) {
        problems.push({ field: "registry", message: `must be a map {server, name} naming an existing registry, got ${describe(raw)}; remove it to create one` });
        return undefined;
    }
    for (const key of Object.keys(raw)) {
        if (key !== "server" && key !== "name") problems.push({ field: `registry.${key}`, message: `unknown registry field "${key}"; the fields are server, name` });
    }
    const { server, name } = raw;
    let ok = true;
    if (typeof server !== "string" || !HOSTNAME.test(server)) {
        problems.push({ field: "registry.server", message: `server must be the registry's host name, e.g. ${DO_REGISTRY_SERVER}, got ${describe(server)}` });
        ok = false;
    }
    if (typeof name !== "string" || !REGISTRY_NAME.test(name)) {
        problems.push({ field: "registry.name", message: `name must be the registry's name (lowercase letters, digits and '-'), got ${describe(name)}` });
        ok = false;
    }
    return ok ? { create: false, name: name as string, server: server as string } : undefined;
}

/**
 * Validates `images` and `registry`. Absent `images` means today's build on the droplet;
 * `registry` then must be absent too.
 */
export function validateImages(rawImages: unknown, rawRegistry: unknown, projectName: string): { images?: ImageSettings; problems: Problem[] } {
    const problems: Problem[] = [];
    if (rawImages === undefined || rawImages === null) {
        if (rawRegistry !== undefined && rawRegistry !== null) {
            problems.push({ field: "registry", message: "is only used to build images once; set images too, or remove registry" });
        }
        return { problems };
    }
    if (!isPlainObject(rawImages) || Object.keys(rawImages).length === 0) {
        problems.push({ field: "images", message: `must be a map of compose service to {context, dockerfile?, target?, args?}, got ${describe(rawImages)}; remove the key to build on the droplet` });
        return { problems };
    }
    const services = Object.keys(rawImages)
        .sort()
        .map((service) => validateService(problems, service, rawImages[service]))
        .filter((s): s is ImageService => s !== undefined);
    const registry = validateRegistry(problems, rawRegistry, projectName);
    if (problems.length > 0 || !registry) return { problems };
    return { images: { services, registry }, problems };
}

/** The image repository of a service: `<server>/<registry>/<service>`. */
export function imageRepository(registry: ImageRegistry, service: string): string {
    return `${registry.server}/${registry.name}/${service}`;
}

/** The resource name of the image of `service` at `commit`: one per service and commit, shared by slots. */
export function imageResourceName(service: string, commit: string): string {
    return `image-${service}-${commit}`;
}

/** Reads the service and commit back from an image's resource name; undefined for other names. */
export function parseImageResourceName(name: string): { service: string; commit: string } | undefined {
    const m = /^image-([a-z0-9][a-z0-9_-]*)-([0-9a-f]{40})$/.exec(name);
    return m ? { service: m[1], commit: m[2] } : undefined;
}

/** Where the build of `commit` reads its checkout, relative to the project root. */
export function checkoutPath(commit: string): string {
    return `${CHECKOUT_CACHE}/${commit}`;
}

/** Every claimed commit once, sorted: the commits images are built for. */
export function claimedCommits(claims: ReadonlyMap<number, { readonly commit: string }>): string[] {
    return [...new Set([...claims.values()].map((c) => c.commit))].sort();
}

/** The slots whose claim names `commit`, ascending. */
export function slotsOfCommit(claims: ReadonlyMap<number, { readonly commit: string }>, commit: string): number[] {
    return [...claims].filter(([, c]) => c.commit === commit).map(([s]) => s).sort((a, b) => a - b);
}

/** One pin as the deploy script reads it: `<service>=<repository>@sha256:<hex>`. */
export function imagePin(service: string, repoDigest: string): string {
    if (!SERVICE.test(service) || !/^[a-z0-9.-]+(\/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$/.test(repoDigest)) {
        throw new Error(`the image of ${service} has no pinned digest ("${repoDigest}"); its push did not report one`);
    }
    return `${service}=${repoDigest}`;
}

/** Registry credentials as `docker.Image` takes them. */
export interface RegistryAuth {
    readonly server: string;
    readonly username: string;
    readonly password: string;
}

/**
 * The credentials for `server` inside a Docker config JSON, as DigitalOcean's
 * ContainerRegistryDockerCredentials returns it: `{"auths":{"<server>":{"auth":"<base64 user:pass>"}}}`
 * (terraform-provider-digitalocean reads it back the same way when it revokes the token).
 */
export function registryAuth(dockerConfigJson: string, server: string): RegistryAuth {
    let auth: unknown;
    try {
        auth = (JSON.parse(dockerConfigJson) as { auths?: Record<string, { auth?: unknown }> }).auths?.[server]?.auth;
    } catch {
        auth = undefined;
    }
    const decoded = typeof auth === "string" ? Buffer.from(auth, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    if (colon <= 0) throw new Error(`the registry credentials hold no login for ${server}; check registry.server`);
    return { server, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The preview's error when a claimed commit has no checkout to build from, naming each commit,
 * the slots that claim it and the fix; undefined when every checkout is there.
 */
export function missingCheckoutsMessage(claims: ReadonlyMap<number, { readonly commit: string }>, exists: (relativePath: string) => boolean): string | undefined {
    const missing = claimedCommits(claims).filter((c) => !exists(checkoutPath(c)));
    if (missing.length === 0) return undefined;
    const which = missing.map((c) => `${checkoutPath(c)}/ (${slotsOfCommit(claims, c).map((s) => `staging-${s}`).join(", ")})`);
    return `images are built from a checkout of each claimed commit, and ${missing.length === 1 ? "one is" : `${missing.length} are`} missing: ${which.join(", ")}; run \`npx slots fetch\` in the project root, then preview again`;
}
