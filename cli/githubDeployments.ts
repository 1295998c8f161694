// `slots deployments`: records on GitHub what the last `pulumi up` did, so the app's pull request
// and commit show "View deployment" for the slot, like a review app. Run by the deploy workflow
// after `up`, on main's reviewed code, with a token that may write deployments on the app
// repository and nothing else. For each slot whose claim changed since --base:
//   claimed or changed → a deployment (environment staging-N, ref the claimed commit) with the
//                        state `slots status` finds for the slot: success if serving, else failure;
//   released           → every recent deployment of environment staging-N marked inactive.
// API: POST /repos/{owner}/{repo}/deployments, POST …/deployments/{id}/statuses (states success,
// failure, inactive; environment_url, log_url, auto_inactive) and GET …/deployments?environment=
// as github/rest-api-description's api.github.com spec defines them.

import { slotLayout } from "../components/catalogue";
import { Settings } from "../components/settings";
import { parseCommand } from "./args";
import { SlotChange, diffClaims } from "./diff";
import { Gh, ghCli, githubRepository, repositoryArgument } from "./github";
import { DEPLOYMENTS_HELP } from "./help";
import { Io, UsageError, UserError } from "./io";
import { registryUrl } from "./registryRead";
import { stackFileAt } from "./revision";
import { analyse, readStack, requireSettings } from "./stack";
import { StatusReport, checkUrlTemplate, slotStatus, timeoutOption } from "./status";

/** One thing to record on GitHub. */
export type DeploymentRecord =
    | {
          readonly kind: "deployment";
          readonly slot: number;
          readonly environment: string;
          readonly ref: string;
          readonly environmentUrl: string;
          readonly state: "success" | "failure";
          /** At most 140 characters, as GitHub allows. */
          readonly description: string;
      }
    | { readonly kind: "inactive"; readonly slot: number; readonly environment: string };

function clip(text: string): string {
    return text.length > 140 ? `${text.slice(0, 137)}...` : text;
}

/** What to record for `changes`, judged by `status` (which must cover every slot still claimed). */
export function deploymentRecords(changes: readonly SlotChange[], settings: Settings, status: StatusReport): DeploymentRecord[] {
    return changes.map((change): DeploymentRecord => {
        const layout = slotLayout(change.slot, settings.domain);
        const claim = settings.claims.get(change.slot);
        if (!claim) return { kind: "inactive", slot: change.slot, environment: layout.identifier };
        const row = status.slots.find((r) => r.slot === change.slot);
        const serving = row?.state === "serving";
        const what = `${claim.owner} for ${claim.task}: ${claim.branch} @ ${claim.commit.slice(0, 7)}`;
        return {
            kind: "deployment",
            slot: change.slot,
            environment: layout.identifier,
            ref: claim.commit,
            environmentUrl: layout.url,
            state: serving ? "success" : "failure",
            description: clip(serving ? what : `${what}: ${row?.state ?? "not probed"}, ${row?.detail ?? "no status"}`),
        };
    });
}

/** Writes one record through `gh api`; returns the line to print. */
export async function recordDeployment(gh: Gh, repo: string, r: DeploymentRecord, logUrl: string | undefined): Promise<string> {
    const log = logUrl ? { log_url: logUrl } : {};
    if (r.kind === "deployment") {
        const created = JSON.parse(
            await gh(
                ["api", "--method", "POST", `repos/${repo}/deployments`, "--input", "-"],
                JSON.stringify({
                    ref: r.ref,
                    environment: r.environment,
                    description: r.description,
                    // The commit is already deployed: no merge of the default branch, no check gate.
                    auto_merge: false,
                    required_contexts: [],
                    transient_environment: false,
                    production_environment: false,
                }),
            ),
        ) as { id?: number };
        if (typeof created.id !== "number") throw new Error(`GitHub created no deployment for ${r.environment}`);
        await gh(
            ["api", "--method", "POST", `repos/${repo}/deployments/${created.id}/statuses`, "--input", "-"],
            JSON.stringify({ state: r.state, environment_url: r.environmentUrl, description: r.description, auto_inactive: true, ...log }),
        );
        return `${r.environment}: deployment ${created.id} of ${r.ref.slice(0, 7)} recorded as ${r.state} (${r.environmentUrl})`;
    }
    const listed = JSON.parse(
        await gh(["api", "--method", "GET", `repos/${repo}/deployments`, "-f", `environment=${r.environment}`, "-f", "per_page=10"]),
    ) as Array<{ id: number }>;
    for (const d of listed) {
        await gh(
            ["api", "--method", "POST", `repos/${repo}/deployments/${d.id}/statuses`, "--input", "-"],
            JSON.stringify({ state: "inactive", description: "released", ...log }),
        );
    }
    return `${r.environment}: released; ${listed.length} deployment${listed.length === 1 ? "" : "s"} marked inactive`;
}

/** `slots deployments`. */
export async function deploymentsCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(
        argv,
        {
            base: { type: "string" },
            repo: { type: "string" },
            "log-url": { type: "string" },
            timeout: { type: "string" },
            "url-template": { type: "string" },
            "registry-url": { type: "string" },
        },
        DEPLOYMENTS_HELP,
        0,
    );
    if (args.help) {
        io.stdout(DEPLOYMENTS_HELP);
        return 0;
    }
    const base = args.string("base");
    if (base === undefined) throw new UsageError("--base is required: the commit last deployed", DEPLOYMENTS_HELP);
    const timeoutSeconds = timeoutOption(args.string("timeout"), DEPLOYMENTS_HELP);
    const template = args.string("url-template");
    if (template !== undefined) checkUrlTemplate(template, DEPLOYMENTS_HELP);

    const current = readStack(io, args.stack);
    const settings = requireSettings(current, "record deployments");
    const repoOption = args.string("repo");
    const repo = repoOption !== undefined ? repositoryArgument(repoOption) : githubRepository(settings.repository);
    if (repo === undefined) {
        throw new UserError([`repository ${settings.repository} is not on github.com; pass --repo owner/name of the app's GitHub repository`]);
    }
    const oldText = await stackFileAt(io.cwd, base, current.name);
    const old = oldText === undefined ? undefined : analyse(args.stack, current.file, oldText, io.now());
    const changes = diffClaims(old?.raw ?? {}, current.raw);
    if (changes.length === 0) {
        io.stdout(`No slot's claim changed since ${base}; no deployment to record.\n`);
        return 0;
    }
    const claimed = changes.filter((c) => settings.claims.has(c.slot)).map((c) => c.slot);
    const status = await slotStatus(settings, current, {
        slots: claimed,
        timeoutSeconds,
        urlTemplate: template,
        registryUrl: registryUrl(args.string("registry-url"), io.env),
    });
    const gh = ghCli(io.env);
    const failed: string[] = [];
    for (const record of deploymentRecords(changes, settings, status)) {
        try {
            io.stdout(`${await recordDeployment(gh, repo, record, args.string("log-url"))}\n`);
        } catch (e) {
            failed.push(`${record.environment}: not recorded on ${repo}: ${(e as Error).message}`);
        }
    }
    if (failed.length > 0) throw new UserError(failed);
    return 0;
}
