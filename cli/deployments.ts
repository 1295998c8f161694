// When each slot's deployment really happened, from the stack's outputs (`pulumi stack output
// --json`, whose `slots` output carries each slot's commit and deployedAt after `pulumi up`). The
// stack file knows only when a claim was made; this is the only honest source of "Deployed".
// pulumi runs without a shell, with the caller's own login; nothing here needs a secret.

import { execFile } from "node:child_process";

import { Io, UserError } from "./io";

/** A slot's last successful deployment, as the stack outputs report it. */
export interface Deployment {
    readonly commit: string | null;
    readonly deployedAt: string | null;
    /** The host the outputs place the slot on; null in outputs written before they said. */
    readonly host: string | null;
    /** Free disk on that host after the deployment, in GB (the deploy script's result line); null when not reported. */
    readonly freeDiskGb: number | null;
}

/** The deployments in `pulumi stack output --json` text, by slot; undefined when it has no `slots` list. */
export function deploymentsOf(json: string): Map<number, Deployment> | undefined {
    let parsed: unknown;
    try {
        parsed = JSON.parse(json);
    } catch {
        return undefined;
    }
    const slots = typeof parsed === "object" && parsed !== null ? (parsed as { slots?: unknown }).slots : undefined;
    if (!Array.isArray(slots)) return undefined;
    const out = new Map<number, Deployment>();
    for (const s of slots) {
        if (typeof s !== "object" || s === null) continue;
        const { slot, commit, deployedAt, host, freeDiskGb } = s as Record<string, unknown>;
        if (typeof slot !== "number") continue;
        out.set(slot, {
            commit: typeof commit === "string" ? commit : null,
            deployedAt: typeof deployedAt === "string" ? deployedAt : null,
            host: typeof host === "string" ? host : null,
            freeDiskGb: typeof freeDiskGb === "number" && Number.isFinite(freeDiskGb) && freeDiskGb >= 0 ? freeDiskGb : null,
        });
    }
    return out;
}

/**
 * The stack's deployments, asked from `pulumi stack output --json`. With `required` (--from-stack)
 * a failure is a UserError saying why; otherwise a missing or failing pulumi gives undefined and the
 * caller says "pending".
 */
export function stackDeployments(io: Io, stack: string, required: boolean): Promise<Map<number, Deployment> | undefined> {
    return new Promise((resolve, reject) => {
        execFile("pulumi", ["stack", "output", "--json", "--stack", stack], { cwd: io.cwd, env: { ...io.env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
            const found = error ? undefined : deploymentsOf(stdout);
            if (found || !required) {
                resolve(found);
                return;
            }
            const why =
                (error as NodeJS.ErrnoException | null)?.code === "ENOENT"
                    ? "the pulumi CLI is not installed or not on PATH"
                    : error
                      ? (stderr.split("\n").find((l) => l.trim() !== "") ?? `pulumi exited with ${String(error.code)}`).trim()
                      : "its outputs have no slots list (has pulumi up run for this stack?)";
            reject(new UserError([`--from-stack: cannot read the outputs of stack ${stack}: ${why}; log in (pulumi login) and select the stack, or leave --from-stack out`]));
        });
    });
}

/** When the claim's commit was deployed, if the outputs say it was (a re-pointed claim is pending until its up). */
export function deployedAt(deployments: ReadonlyMap<number, Deployment> | undefined, slot: number, commit: string): string | undefined {
    const d = deployments?.get(slot);
    return d && d.commit === commit && d.deployedAt ? d.deployedAt : undefined;
}
