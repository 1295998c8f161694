// `slots comment` and `slots table`: the seed's markdown, rendered from the stack file, with the
// real deployment times from the registry table when it is given and can be read, else from the
// stack outputs.

import { catalogue, slotLayout } from "../components/catalogue";
import { Claim } from "../components/settings";
import { usageTable } from "../components/registryTable";
import { parseCommand, slotArgument } from "./args";
import { slotOfTask } from "./claims";
import { deployedAt, stackDeployments } from "./deployments";
import { claimsOf } from "./diff";
import { COMMENT_HELP, TABLE_HELP } from "./help";
import { Io, UsageError, UserError } from "./io";
import { RegistryReading, readRegistry, registryUrl } from "./registryRead";
import { rowHoldsClaim } from "./slotState";
import { readStack, requireSettings } from "./stack";

const REGISTRY_TIMEOUT_MS = 5000;

/** When the claim on `slot` was deployed, per the registry row; undefined when the row does not show it deployed. */
export function registryDeployedAt(registry: RegistryReading, slot: number, claim: Claim): string | undefined {
    const row = registry.kind === "rows" ? registry.rows.get(slot) : undefined;
    return rowHoldsClaim(row, claim) && row?.deployedAt ? row.deployedAt : undefined;
}

/**
 * The deployment time of each claim: the registry when a URL is given and it can be read (a note
 * on stderr when it cannot), else the stack outputs (required with --from-stack).
 */
async function deploymentTimes(io: Io, url: string | undefined, stack: string, fromStack: boolean): Promise<(slot: number, claim: Claim) => string | undefined> {
    const registry = await readRegistry(url, REGISTRY_TIMEOUT_MS);
    if (url !== undefined && registry.kind === "skipped") io.stderr(`${registry.note}; Deployed comes from the stack outputs instead\n`);
    const outputs = registry.kind === "rows" && !fromStack ? undefined : await stackDeployments(io, stack, fromStack);
    return (slot, claim) => registryDeployedAt(registry, slot, claim) ?? deployedAt(outputs, slot, claim.commit);
}

/**
 * The seed's "Staging Deployment" comment for a claim. "Deployed" is the real deployment time
 * when it is known; otherwise the comment says when the slot was claimed and that the deployment
 * is pending, never passing the claim time off as a deployment.
 */
export function deploymentComment(slot: number, domain: string, claim: Claim, deployed?: string): string {
    const layout = slotLayout(slot, domain);
    return [
        "**Staging Deployment**",
        `- Slot: ${layout.identifier}`,
        `- Branch: ${claim.branch}`,
        `- Commit: ${claim.commit}`,
        ...(deployed ? [`- Deployed: ${deployed}`] : [`- Claimed: ${claim.claimedAt}`, "- Deployed: pending (pulumi up)"]),
        `- URL: ${layout.url}`,
    ].join("\n") + "\n";
}

const READ_OPTIONS = { json: { type: "boolean" }, "from-stack": { type: "boolean" }, "registry-url": { type: "string" } } as const;

/** `slots comment N` / `slots comment --task T`. */
export async function commentCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { ...READ_OPTIONS, task: { type: "string" } }, COMMENT_HELP, 1);
    if (args.help) {
        io.stdout(COMMENT_HELP);
        return 0;
    }
    const task = args.string("task");
    if (task !== undefined && args.positionals.length > 0) throw new UsageError("give a slot number or --task, not both", COMMENT_HELP);
    const stack = readStack(io, args.stack);
    const settings = requireSettings(stack, "write a comment");
    const slot = task === undefined ? slotArgument(args.positionals[0], COMMENT_HELP) : slotOfTask(claimsOf(stack.raw), task);
    if (slot === undefined) throw new UserError([`no slot is held for task ${task as string}; slots list shows who holds what`]);
    const claim = settings.claims.get(slot);
    if (!claim) {
        throw new UserError([
            slot > settings.slotCount ? `there is no staging-${slot}: this stack has ${settings.slotCount} slots` : `staging-${slot} is not claimed; there is no deployment to describe`,
        ]);
    }
    const times = await deploymentTimes(io, registryUrl(args.string("registry-url"), io.env), args.stack, args.flag("from-stack"));
    const deployed = times(slot, claim);
    const markdown = deploymentComment(slot, settings.domain, claim, deployed);
    if (args.flag("json")) {
        const layout = slotLayout(slot, settings.domain);
        const out = { slot, id: layout.identifier, url: layout.url, branch: claim.branch, commit: claim.commit, claimedAt: claim.claimedAt, deployedAt: deployed ?? null, markdown };
        io.stdout(`${JSON.stringify(out, null, 2)}\n`);
        return 0;
    }
    io.stdout(markdown);
    return 0;
}

/** `slots table`. */
export async function tableCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, READ_OPTIONS, TABLE_HELP, 0);
    if (args.help) {
        io.stdout(TABLE_HELP);
        return 0;
    }
    const settings = requireSettings(readStack(io, args.stack), "print the table");
    const times = await deploymentTimes(io, registryUrl(args.string("registry-url"), io.env), args.stack, args.flag("from-stack"));
    const usage = catalogue(settings.slotCount, settings.domain).map(({ slot }) => {
        const claim = settings.claims.get(slot);
        if (!claim) return { slot };
        return { slot, claim, deployedAt: times(slot, claim) ?? "pending" };
    });
    const markdown = usageTable(usage);
    if (args.flag("json")) {
        const rows = usage.map((u) => ({
            slot: u.slot,
            status: u.claim ? "In Use" : "Available",
            owner: u.claim?.owner ?? null,
            branch: u.claim?.branch ?? null,
            commit: u.claim?.commit ?? null,
            deployedAt: u.deployedAt === undefined || u.deployedAt === "pending" ? null : u.deployedAt,
            purpose: u.claim ? u.claim.purpose || null : null,
        }));
        io.stdout(`${JSON.stringify({ rows, markdown }, null, 2)}\n`);
        return 0;
    }
    io.stdout(markdown);
    return 0;
}
