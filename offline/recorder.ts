// Evaluates the real program with Pulumi's mock runtime and records every resource it registers:
// type, name, parent, options and inputs, with secrets both unwrapped (for tests that run the
// deploy scripts) and redacted (for anything printed). Shared by `npm run plan`, `slots plan`,
// the benchmark and the tests, so they all see the same program.

import { createHash } from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import { ProgramOptions, stagingSlots } from "../components/program";
import { EngineConfig } from "./stackFile";

/** A program to evaluate: this revision's `stagingSlots`, or another revision's (cli/revisionProgram.ts). */
export type ProgramFunction = (opts: ProgramOptions) => object;

/** What one registerResource call carried. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** URN of the parent resource; empty for resources at the top of the stack. */
    readonly parent: string;
    /** True for custom resources, false for components. */
    readonly custom: boolean;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly additionalSecretOutputs: readonly string[];
    /** Inputs with secrets unwrapped: never print these. */
    readonly inputs: Readonly<Record<string, unknown>>;
    /** Inputs with every secret replaced by "[secret]" and every unknown by "[unknown]". */
    readonly redacted: Readonly<Record<string, unknown>>;
    /** The slot whose StagingSlot component contains this resource, or null for shared resources. */
    readonly slot: number | null;
    /** The host whose StagingHost component contains this resource, or null outside every host. */
    readonly host: string | null;
}

/** The result of one offline evaluation. */
export interface Evaluation {
    /** Every resource but the root stack, in registration order. */
    readonly resources: readonly RecordedResource[];
    /** The stack outputs, secrets unwrapped; undefined when the program failed. */
    readonly outputs?: Readonly<Record<string, unknown>>;
    /** Warnings the program logged (stale claims). */
    readonly warnings: readonly string[];
    /** The program's error, when it failed. */
    readonly error?: Error;
}

const SECRET = "[secret]";
const UNKNOWN = "[unknown]";

function redact(v: unknown): unknown {
    if (v === pulumi.runtime.unknownValue) return UNKNOWN;
    if (Array.isArray(v)) return v.map(redact);
    if (typeof v === "object" && v !== null) {
        const o = v as Record<string, unknown>;
        if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return SECRET;
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, redact(x)]));
    }
    return v;
}

function unwrap(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(unwrap);
    if (typeof v === "object" && v !== null) {
        const o = v as Record<string, unknown>;
        if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return unwrap(o.value);
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
}

// The slice of the generated gRPC request the recorder reads.
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getDeletebeforereplace(): boolean;
    getAdditionalsecretoutputsList(): string[];
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface Monitor {
    registerResource(req: RegisterRequest, callback: (...args: unknown[]) => void): unknown;
}

// A number from a resource's name, the same in every evaluation: each host's droplet and reserved
// IP get their own id and address, so a test can tell which host a slot's DNS and deployment use.
function nameNumber(name: string): number {
    return createHash("sha256").update(name).digest().readUInt16BE(0);
}

/** The reserved IP address the mock gives host `host`'s reserved IP (`<host>-ip`). */
export function mockReservedIp(host: string): string {
    // The single host's address is the one every existing test and fixture was written with.
    if (host === "staging") return "203.0.113.10";
    const n = nameNumber(`${host}-ip`);
    return `198.18.${n >> 8}.${n & 0xff}`;
}

/** The droplet id the mock gives host `host`'s droplet. */
export function mockDropletId(host: string): string {
    return host === "staging" ? "100001" : String(200000 + nameNumber(`${host}-droplet`));
}

/** Deterministic outputs the cloud would compute, for the resources the program reads them from. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
    switch (type) {
        case "digitalocean:index/droplet:Droplet": {
            const id = mockDropletId(name.replace(/-droplet$/, ""));
            return { id, state: { ...inputs, dropletUrn: `do:droplet:${id}`, ipv4Address: "198.51.100.7" } };
        }
        case "digitalocean:index/reservedIp:ReservedIp": {
            const ip = mockReservedIp(name.replace(/-ip$/, ""));
            return { id: ip, state: { ...inputs, ipAddress: ip, reservedIpUrn: `do:reservedip:${ip}` } };
        }
        case "digitalocean:index/databaseCluster:DatabaseCluster":
            return {
                id: `${name}-id`,
                state: {
                    ...inputs,
                    host: `${name}.db.ondigitalocean.example`,
                    privateHost: `private-${name}.db.ondigitalocean.example`,
                    port: 25060,
                    user: "doadmin",
                    password: "mock-cluster-admin-password",
                    database: "defaultdb",
                    clusterUrn: `do:dbaas:${name}-id`,
                },
            };
        case "command:remote:Command": {
            // A deployment answers as the deploy script does, so the program's path from the
            // result line to deployedAt and the registry row runs offline too.
            // Secret inputs reach mocks still wrapped.
            const raw = unwrap(inputs.stdin);
            const stdin = typeof raw === "string" ? raw : "";
            const slot = /^SLOT=(\d+)$/m.exec(stdin)?.[1];
            const commit = /^COMMIT=([0-9a-f]{40})$/m.exec(stdin)?.[1];
            const stdout = slot && commit ? `STAGING_DEPLOY_RESULT {"slot":${slot},"commit":"${commit}","deployedAt":"${MOCK_DEPLOYED_AT}","freeDiskGb":${MOCK_FREE_DISK_GB}}\n` : "";
            return { id: `${name}-id`, state: { ...inputs, stdout, stderr: "" } };
        }
        case "docker:index/image:Image": {
            // What a push reports: the repository with the manifest's digest, one per build.
            const name = String(inputs.imageName ?? "");
            const repository = name.replace(/:[^:/]+$/, "");
            return { id: name, state: { ...inputs, repoDigest: `${repository}@sha256:${createHash("sha256").update(name).digest("hex")}` } };
        }
        case "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": {
            // The shape DigitalOcean returns: a Docker config JSON with one base64 `user:token` login.
            const auth = Buffer.from(`mock-registry-user-${name}:mock-registry-token-${name}`).toString("base64");
            return { id: `${name}-id`, state: { ...inputs, dockerCredentials: JSON.stringify({ auths: { "registry.digitalocean.com": { auth } } }) } };
        }
        case "random:index/randomPassword:RandomPassword":
            return { id: `${name}-id`, state: { ...inputs, result: `mock-password-for-${name}` } };
        default:
            return { id: `${name}-id`, state: inputs };
    }
}

const SLOT_COMPONENT = "jobsearch:staging:StagingSlot";
const HOST_COMPONENT = "jobsearch:staging:StagingHost";

/** The CA certificate the mocked getDatabaseCa returns (appSslmode verify-full). */
export const MOCK_DATABASE_CA = "-----BEGIN CERTIFICATE-----\nMOCK-DATABASE-CA\n-----END CERTIFICATE-----\n";

/** The deployed time every mocked deployment reports: fixed, so evaluations stay identical. */
export const MOCK_DEPLOYED_AT = "2000-01-01T00:00:00Z";

/** The free disk every mocked deployment reports, in GB: fixed like MOCK_DEPLOYED_AT. */
export const MOCK_FREE_DISK_GB = 41.5;

/**
 * Runs the program once under mocks with the given engine config and records what it registers.
 * Never throws for a program error: the error is returned with whatever was registered before it.
 */
export async function evaluate(config: EngineConfig, opts: { stack?: string; now?: Date; program?: ProgramFunction; checkoutRoot?: string } = {}): Promise<Evaluation> {
    const resources: RecordedResource[] = [];
    const byUrn = new Map<string, RecordedResource>();
    const warnings: string[] = [];
    const stack = opts.stack ?? "staging";

    await pulumi.runtime.setMocks(
        {
            newResource: (args) => mockState(args.type, args.name, args.inputs),
            call: (args) => {
                if (args.token === "digitalocean:index/getDatabaseCa:getDatabaseCa") {
                    return { ...args.inputs, id: String(args.inputs.clusterId), certificate: MOCK_DATABASE_CA };
                }
                throw new Error(`the program made an unexpected provider call ${args.token}`);
            },
        },
        "staging-slots",
        stack,
        false,
    );
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);

    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const type = req.getType();
        const name = req.getName();
        const mockParent = req.getParent();
        // The mock monitor names resources by their parent's last type only; the engine chains
        // every ancestor's type except the root stack's. Records carry the engine's form, so
        // URNs here match those in a real `pulumi preview --json`.
        const mockUrn = `urn:pulumi:${stack}::staging-slots::${mockParent ? `${mockParent.split("::")[2].split("$").pop() as string}$` : ""}${type}::${name}`;
        const parentRecord = byUrn.get(mockParent);
        const chain = parentRecord && parentRecord.type !== "pulumi:pulumi:Stack" ? `${parentRecord.urn.split("::")[2]}$${type}` : type;
        const urn = `urn:pulumi:${stack}::staging-slots::${chain}::${name}`;
        const parent = parentRecord && parentRecord.type !== "pulumi:pulumi:Stack" ? parentRecord.urn : "";
        const object = req.getObject()?.toJavaScript() ?? {};
        const slotFromName = type === SLOT_COMPONENT ? Number(/^staging-(\d+)$/.exec(name)?.[1]) : NaN;
        const record: RecordedResource = {
            type,
            name,
            urn,
            parent,
            custom: req.getCustom(),
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            deleteBeforeReplace: req.getDeletebeforereplace(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            inputs: unwrap(object) as Record<string, unknown>,
            redacted: redact(object) as Record<string, unknown>,
            slot: Number.isInteger(slotFromName) ? slotFromName : (parentRecord?.slot ?? null),
            host: type === HOST_COMPONENT ? name : (parentRecord?.host ?? null),
        };
        if (type !== "pulumi:pulumi:Stack") resources.push(record);
        byUrn.set(mockUrn, record);
        return register(req, callback);
    };

    let outputs: Record<string, unknown> | undefined;
    let error: Error | undefined;
    // The SDK captures a stack trace for every promise and resource it creates, to debug leaks
    // and to point engine errors at source lines; the TypeScript loader's source maps make each capture costly.
    // Offline nothing reads them, and they were most of the cost per resource, so they are off
    // while the program runs here (and only here).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        outputs = (await pulumi.runtime.runInPulumiStack(async () => {
            const program = opts.program ?? stagingSlots;
            // Offline nothing is built, so no checkout is needed unless a test asks for the check.
            const stack = program({ ...(opts.now ? { now: opts.now } : {}), warn: (m) => warnings.push(m), checkoutRoot: opts.checkoutRoot ?? false });
            return { ...stack };
        })) as Record<string, unknown>;
    } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
    // Registrations still in flight when the outputs resolved must land in the record too.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    return { resources, ...(outputs ? { outputs: unwrap(outputs) as Record<string, unknown> } : {}), warnings, ...(error ? { error } : {}) };
}
