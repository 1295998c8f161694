// `npm run smoke`: the live smoke test. With the Pulumi CLI, a DigitalOcean token, a Pulumi
// backend and a test domain it runs the real program through the Automation API on an
// ephemeral stack and tears everything down at the end; without them it prints one line saying
// what is missing and exits 0 (a skip, never a pass).
//
// Who runs it: an engineer by hand, or .github/workflows/smoke.yml (main's code only, on a
// manual dispatch or the weekly schedule) with the secrets DIGITALOCEAN_TOKEN and
// PULUMI_ACCESS_TOKEN. It runs this repository's program and nothing else; the deploy key it
// creates lives only in the ephemeral stack's encrypted config and is gone with it.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as path from "node:path";

import type { LocalWorkspace as LocalWorkspaceType, Stack } from "@pulumi/pulumi/automation";

import { hasTool } from "../test/helpers/tools";
import { SmokeInputs, costEstimate, deployKeyPair, readiness, skipLine, smokeClaim, smokeConfig, stackName } from "./plan";

const ROOT = path.join(__dirname, "..");
// A run that goes well takes 20 to 30 minutes (the cluster alone takes about 5 to 10).
const BUDGET_HOURS = 2;

const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** The caller's public IPv4 address as a /32, for adminCidrs. */
async function publicCidr(): Promise<string> {
    const response = await fetch("https://api.ipify.org", { signal: AbortSignal.timeout(15_000) });
    const ip = (await response.text()).trim();
    if (!response.ok || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
        throw new Error("could not find this machine's public IPv4 address; set SMOKE_ADMIN_CIDR");
    }
    return `${ip}/32`;
}

/** Polls https://staging-1.<domain>/api/version until it reports `commit` (DNS and the certificate take a while). */
async function waitForCommit(domain: string, commit: string, timeoutMs = 15 * 60_000): Promise<void> {
    const url = `https://staging-1.${domain}/api/version`;
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
        try {
            const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
            const body = await response.text();
            last = `HTTP ${response.status}: ${body.slice(0, 200)}`;
            if (response.ok && (JSON.parse(body) as { commit?: string }).commit === commit) {
                log(`smoke: ${url} serves ${commit}`);
                return;
            }
        } catch (e) {
            last = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 10_000));
    }
    throw new Error(`${url} did not serve ${commit} within ${timeoutMs / 60_000} minutes; last answer: ${last}`);
}

/** `pulumi up`, then `pulumi preview --expect-no-changes`: the second fails if the first left a diff. */
async function upClean(stack: Stack, what: string): Promise<void> {
    log(`smoke: pulumi up (${what})`);
    const up = await stack.up({ onOutput: (out) => process.stdout.write(out), color: "never" });
    log(`smoke: up done: ${JSON.stringify(up.summary.resourceChanges ?? {})}`);
    log("smoke: pulumi preview --expect-no-changes");
    await stack.preview({ expectNoChanges: true, diff: true, onOutput: (out) => process.stdout.write(out), color: "never" });
    log("smoke: no changes after the up");
}


async function run(inputs: SmokeInputs): Promise<void> {
    const { LocalWorkspace } = require("@pulumi/pulumi/automation") as { LocalWorkspace: typeof LocalWorkspaceType };
    const name = stackName(new Date());
    const adminCidr = inputs.adminCidr ?? (await publicCidr());
    const keys = deployKeyPair();
    log(costEstimate(BUDGET_HOURS));
    log(`smoke: stack ${name}, slots staging-1 and staging-2 on ${inputs.domain}, adminCidrs ${adminCidr}`);

    const envVars: Record<string, string> = {
        // A self-managed backend encrypts the ephemeral stack's secrets with a one-off passphrase.
        ...(process.env.PULUMI_CONFIG_PASSPHRASE || process.env.PULUMI_CONFIG_PASSPHRASE_FILE ? {} : { PULUMI_CONFIG_PASSPHRASE: randomBytes(24).toString("hex") }),
    };
    const stack = await LocalWorkspace.createStack({ stackName: name, workDir: ROOT }, { workDir: ROOT, envVars });
    let failure: unknown;
    try {
        const configure = (claims: Record<string, unknown>) => stack.setAllConfig(smokeConfig(inputs, name, adminCidr, keys, claims));
        await configure(smokeClaim(name, inputs.commits[0], new Date()));

        // The first up creates everything from an empty stack, slot 1's deployment included.
        await upClean(stack, `empty stack to two slots, staging-1 claimed at ${inputs.commits[0]}`);
        await waitForCommit(inputs.domain, inputs.commits[0]);

        await configure(smokeClaim(name, inputs.commits[1], new Date()));
        await upClean(stack, `re-point staging-1 to ${inputs.commits[1]}`);
        await waitForCommit(inputs.domain, inputs.commits[1]);

        await configure({});
        await upClean(stack, "release staging-1");
    } catch (e) {
        failure = e;
    } finally {
        // Always: unprotect, destroy, remove the stack. Each step runs even when one before it failed.
        log(`smoke: tearing down ${name}`);
        const teardown: string[] = [];
        try {
            execFileSync("pulumi", ["state", "unprotect", "--all", "--yes", "--stack", name, "--non-interactive"], {
                cwd: ROOT,
                stdio: "inherit",
                env: { ...process.env, ...envVars },
            });
        } catch (e) {
            teardown.push(`unprotect: ${(e as Error).message}`);
        }
        try {
            await stack.destroy({ onOutput: (out) => process.stdout.write(out), color: "never" });
        } catch (e) {
            teardown.push(`destroy: ${(e as Error).message}`);
        }
        try {
            if (teardown.length === 0) await stack.workspace.removeStack(name);
        } catch (e) {
            teardown.push(`stack rm: ${(e as Error).message}`);
        }
        if (teardown.length > 0) {
            log(`smoke: TEARDOWN INCOMPLETE for stack ${name}; destroy it by hand (pulumi destroy --stack ${name}, then pulumi stack rm ${name}):`);
            for (const t of teardown) log(`  ${t}`);
            failure ??= new Error(`teardown of ${name} incomplete`);
        } else {
            log(`smoke: ${name} destroyed and removed`);
        }
    }
    if (failure) throw failure;
}

async function main(): Promise<number> {
    const ready = readiness(process.env, hasTool("pulumi"));
    if (!ready.ok) {
        log(skipLine(ready));
        return 0;
    }
    try {
        await run(ready.inputs);
        log("smoke: PASSED");
        return 0;
    } catch (e) {
        log(`smoke: FAILED: ${(e as Error).message}`);
        return 1;
    }
}

main().then((code) => {
    process.exitCode = code;
});
