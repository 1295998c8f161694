// The staging stack's invariants as CrossGuard policies, enforced inside the engine on every
// `pulumi preview` and `pulumi up --policy-pack policy`. Exported on their own, apart from the
// PolicyPack in index.ts, because constructing the pack starts its gRPC server: tests call these
// policies' validate functions directly.

import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

import { MAX_SLOTS, slotLayout } from "../components/catalogue";
import { Cidr, parseCidr, wholeSpaceCovered } from "../components/cidr";
import { checkoutPath, parseImageResourceName } from "../components/images";

export const FIREWALL = "digitalocean:index/firewall:Firewall";
export const DATABASE_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall";
export const REMOTE_COMMAND = "command:remote:Command";
export const DOCKER_IMAGE = "docker:index/image:Image";

/** Resources that must carry `protect: true`, and why a reader should care. */
export const MUST_BE_PROTECTED: Readonly<Record<string, string>> = {
    "digitalocean:index/droplet:Droplet": "the droplet holds every slot's checkout and volumes",
    "digitalocean:index/reservedIp:ReservedIp": "every slot's DNS record points at the reserved IP",
    "digitalocean:index/databaseCluster:DatabaseCluster": "the cluster holds every slot's database",
    "postgresql:index/database:Database": "a slot's database outlives its claims",
    "postgresql:index/role:Role": "a slot's role owns its database",
};

/** The only ports the internet may reach: Caddy's HTTP and HTTPS. */
export const PUBLIC_TCP_PORTS: readonly string[] = ["80", "443"];

/**
 * Whether a firewall source opens to the internet: any address (`0.0.0.0/0`, `::/0`) or a block so
 * wide (shorter than /8 for IPv4, /16 for IPv6) that it might as well.
 */
export function isPublicSource(source: string): boolean {
    const s = source.trim();
    if (s === "0.0.0.0" || s === "::") return true;
    const m = /^(.+)\/(\d{1,3})$/.exec(s);
    if (!m) return false;
    const prefix = Number(m[2]);
    return m[1].includes(":") ? prefix < 16 : prefix < 8;
}

function parsedBlocks(sources: readonly string[]): Cidr[] {
    return sources.map((s) => parseCidr(s.trim())).filter((c): c is Cidr => c !== undefined);
}

interface Rule {
    readonly protocol?: string;
    readonly portRange?: string;
    readonly sourceAddresses?: readonly string[];
}

interface DatabaseRule {
    readonly type?: string;
    readonly value?: string;
}

/** No inbound rule opens anything but TCP 80 and 443 to the internet; the database never does. */
export const noPublicIngressExceptWeb: ResourceValidationPolicy = {
    name: "staging-no-public-ingress-except-web",
    description: "Only TCP 80 and 443 are open to the internet; SSH and the slots' ports stay private, and the database accepts no public source.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type === FIREWALL) {
            const rules = (args.props.inboundRules ?? []) as readonly Rule[];
            rules.forEach((rule, i) => {
                const sources = rule.sourceAddresses ?? [];
                const open = sources.filter(isPublicSource);
                // Blocks that each look narrow can add up to the whole internet (the config rule, shared).
                if (open.length === 0 && wholeSpaceCovered(parsedBlocks(sources)).length > 0) open.push(...sources);
                if (open.length === 0) return;
                const protocol = rule.protocol ?? "?";
                if (protocol === "tcp" && rule.portRange !== undefined && PUBLIC_TCP_PORTS.includes(rule.portRange)) return;
                reportViolation(
                    `${args.name}: inbound rule ${i} opens ${protocol} ${rule.portRange ?? "all ports"} to ${open.join(", ")}; ` +
                        `only tcp ${PUBLIC_TCP_PORTS.join(" and ")} may be public (SSH goes to adminCidrs, the slots' ports stay on loopback)`,
                );
            });
        } else if (args.type === DATABASE_FIREWALL) {
            const rules = (args.props.rules ?? []) as readonly DatabaseRule[];
            rules.forEach((rule, i) => {
                if (rule.type === "ip_addr" && typeof rule.value === "string" && isPublicSource(rule.value)) {
                    reportViolation(`${args.name}: trusted source ${i} (${rule.value}) lets the internet connect to the database; list the droplet and adminCidrs only`);
                }
            });
            const addresses = rules.filter((r) => r.type === "ip_addr" && typeof r.value === "string").map((r) => r.value as string);
            if (!addresses.some(isPublicSource) && wholeSpaceCovered(parsedBlocks(addresses)).length > 0) {
                reportViolation(`${args.name}: trusted sources ${addresses.join(", ")} together let the whole internet connect to the database; list the droplet and adminCidrs only`);
            }
        }
    },
};

/** The resources whose loss would take every slot down are protected. */
export const protectedResourcesProtected: ResourceValidationPolicy = {
    name: "staging-protected-resources-protected",
    description: "The droplet, reserved IP, database cluster and every slot's database and role carry protect: true.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        const why = MUST_BE_PROTECTED[args.type];
        if (why !== undefined && args.opts.protect !== true) {
            reportViolation(`${args.name} (${args.type}) must be created with protect: true: ${why}`);
        }
    },
};

/** A Caddyfile's site blocks and the loopback port each proxies to. */
export function caddySites(caddyfile: string): Array<{ site: string; port: number }> {
    const sites: Array<{ site: string; port: number }> = [];
    let current: string | undefined;
    for (const line of caddyfile.split("\n")) {
        const open = /^([^\s{}]+) \{$/.exec(line);
        if (open) {
            current = open[1];
            continue;
        }
        if (line === "}") current = undefined;
        const proxy = /^\s+reverse_proxy 127\.0\.0\.1:(\d+)\s*$/.exec(line);
        if (proxy && current !== undefined) sites.push({ site: current, port: Number(proxy[1]) });
    }
    return sites;
}

function readString(read: () => unknown): string | undefined {
    // In a preview, a value computed from another resource's outputs is unknown and the policy
    // framework's proxy throws on reading it; such a value simply cannot be checked yet.
    try {
        const v = read();
        return typeof v === "string" ? v : undefined;
    } catch {
        return undefined;
    }
}

/** The slot a deployment runs, from its stdin's `SLOT=` line, else from its name (`staging-N-deploy`). */
function deploymentSlot(r: PolicyResource): number | undefined {
    const fromStdin = /^SLOT=(\d+)$/m.exec(readString(() => r.props.stdin) ?? "");
    if (fromStdin) return Number(fromStdin[1]);
    const fromName = /^staging-(\d+)-deploy$/.exec(r.name);
    return fromName ? Number(fromName[1]) : undefined;
}

/**
 * Every slot's ports are its own: Caddy proxies each slot's subdomain to that slot's Campaign UI
 * port and no port twice, and no two deployments run the same slot (the deploy script binds the
 * slot's ports, 5000+N and 8080+N, from its SLOT).
 */
export const slotPortsUnique: StackValidationPolicy = {
    name: "staging-slot-ports-unique",
    description: "Each slot's Campaign UI and Airflow ports belong to that slot alone: Caddy routes every subdomain to its own slot's port on exactly one host, and no two deployments share a slot.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const commands = args.resources.filter((r) => r.type === REMOTE_COMMAND);

        // With several hosts each has its own Caddy; a subdomain routed by two would answer from
        // whichever host DNS does not point at with the slot's "free" page, or another app.
        const routedBy = new Map<string, string[]>();
        for (const r of commands) {
            const stdin = readString(() => r.props.stdin);
            if (stdin === undefined || !stdin.includes("reverse_proxy")) continue;
            const byPort = new Map<number, string[]>();
            for (const { site, port } of caddySites(stdin)) {
                routedBy.set(site, [...(routedBy.get(site) ?? []), r.name]);
                byPort.set(port, [...(byPort.get(port) ?? []), site]);
                const slot = /^staging-(\d+)\./.exec(site);
                if (slot && Number(slot[1]) >= 1 && Number(slot[1]) <= MAX_SLOTS) {
                    const expected = slotLayout(Number(slot[1]), "x").campaignUiPort;
                    if (port !== expected) {
                        reportViolation(`${r.name}: ${site} is proxied to port ${port}, but staging-${slot[1]}'s Campaign UI listens on ${expected}`, r.urn);
                    }
                }
            }
            for (const [port, sites] of byPort) {
                if (sites.length > 1) reportViolation(`${r.name}: port ${port} is proxied for ${sites.join(" and ")}; each slot has its own port`, r.urn);
            }
        }
        for (const [site, hosts] of routedBy) {
            if (hosts.length > 1) reportViolation(`${site} is routed by ${hosts.join(" and ")}; each slot runs on exactly one host, whose Caddy alone routes it`);
        }

        const owners = new Map<number, string[]>();
        for (const r of commands) {
            const slot = deploymentSlot(r);
            if (slot === undefined) continue;
            if (!Number.isInteger(slot) || slot < 1 || slot > MAX_SLOTS) {
                reportViolation(`${r.name} deploys slot ${slot}, outside 1..${MAX_SLOTS}; its ports would collide with another slot's`, r.urn);
                continue;
            }
            const fromName = /^staging-(\d+)-deploy$/.exec(r.name);
            if (fromName && Number(fromName[1]) !== slot) {
                reportViolation(`${r.name} deploys slot ${slot} (SLOT=${slot}) but belongs to staging-${fromName[1]}; it would take staging-${slot}'s ports`, r.urn);
            }
            owners.set(slot, [...(owners.get(slot) ?? []), r.name]);
        }
        for (const [slot, names] of owners) {
            if (names.length > 1) {
                const layout = slotLayout(slot, "x");
                reportViolation(`${names.join(" and ")} all deploy staging-${slot}: they would share ports ${layout.campaignUiPort} and ${layout.airflowPort}`);
            }
        }
    },
};

/**
 * An image built once belongs to exactly one commit: its resource name, its tag and its build
 * context all name the same commit. The guard reads an image's slots from its name, and the
 * slots run it by digest, so an image whose name and content disagree would smuggle one
 * commit's code into a claim of another.
 */
export const imageBuiltFromItsCommit: ResourceValidationPolicy = {
    name: "staging-image-built-from-its-commit",
    description: "An image built once is named image-<service>-<commit>, tagged with that commit and built from that commit's checkout.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type !== DOCKER_IMAGE) return;
        const own = parseImageResourceName(args.name);
        if (!own) {
            reportViolation(`${args.name}: an image built once must be named image-<service>-<commit>, so the guard and reviewers know which slots it belongs to`);
            return;
        }
        const imageName = readString(() => args.props.imageName);
        if (imageName !== undefined && !imageName.endsWith(`/${own.service}:${own.commit}`)) {
            reportViolation(`${args.name}: tagged ${imageName}, but it is the image of ${own.service} at ${own.commit}; tag it <registry>/${own.service}:${own.commit}`);
        }
        const build = readString(() => JSON.stringify(args.props.build ?? null));
        const context = build === undefined ? undefined : (JSON.parse(build) as { context?: unknown } | null)?.context;
        const checkout = checkoutPath(own.commit);
        if (typeof context === "string" && context !== checkout && !context.startsWith(`${checkout}/`)) {
            reportViolation(`${args.name}: built from ${context}, outside ${checkout}/, the checkout of the commit it is named for`);
        }
    },
};

/** Every policy of the pack, in the order the pack lists them. */
export const policies = [noPublicIngressExceptWeb, protectedResourcesProtected, slotPortsUnique, imageBuiltFromItsCommit];
