import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

import { ConfigError, formatProblem } from "../../components/validation";
import { evaluate } from "../../offline/recorder";
import { parseStackConfig } from "../../offline/stackFile";
import { NOW } from "../helpers/config";

import { STACK_TEXT, claimArgs, run, stackText, tempProject } from "./harness";

/** The project's stack file with `staging-slots:hosts` set to `hosts`. */
function withHosts(hosts: unknown): string {
    const doc = parseDocument(STACK_TEXT);
    doc.setIn(["config", "staging-slots:hosts"], hosts);
    return String(doc);
}

const TWO_HOSTS = { staging: { slots: [1, 2, 3, 4, 5] }, "staging-b": { slots: [6, 7, 8, 9, 10], size: "s-8vcpu-16gb" } };

describe("slots with several hosts", () => {
    const dirs: string[] = [];
    const project = (text: string): string => {
        const dir = tempProject(text);
        dirs.push(dir);
        return dir;
    };
    after(() => {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it("list shows each slot's host; without hosts every slot is on staging", async () => {
        const single = await run(project(STACK_TEXT), ["list", "--json"]);
        const rows = (JSON.parse(single.stdout) as { slots: Array<{ id: string; host: string }> }).slots;
        expect(rows.map((r) => r.host)).to.deep.equal(Array(10).fill("staging"));

        const dir = project(withHosts(TWO_HOSTS));
        const json = JSON.parse((await run(dir, ["list", "--json"])).stdout) as { slots: Array<{ id: string; host: string }> };
        expect(json.slots.map((r) => `${r.id}@${r.host}`)).to.deep.equal([
            ...[1, 2, 3, 4, 5].map((n) => `staging-${n}@staging`),
            ...[6, 7, 8, 9, 10].map((n) => `staging-${n}@staging-b`),
        ]);
        const table = (await run(dir, ["list"])).stdout;
        expect(table).to.match(/^SLOT +STATUS .* DATABASE +HOST +NOTE$/m);
        expect(table).to.match(/^staging-7 +Available .* job_search_staging_7 +staging-b$/m);
        expect(table).to.match(/^staging-2 +Available .* job_search_staging_2 +staging$/m);
    });

    it("a claim on a slot of the second host is written like any other", async () => {
        const dir = project(withHosts(TWO_HOSTS));
        const r = await run(dir, claimArgs("JOB-7", ["--slot", "7"]));
        expect(r.code, r.stderr).to.equal(0);
        expect(stackText(dir)).to.include('"7":');
        const json = JSON.parse((await run(dir, ["list", "--json"])).stdout) as { slots: Array<{ id: string; host: string; status: string }> };
        expect(json.slots[6]).to.include({ id: "staging-7", host: "staging-b", status: "In Use" });
    });

    it("check names a slot on two hosts and a slot on none, with their lines, and exits 1", async () => {
        const text = withHosts({ staging: { slots: [1, 2, 3, 4, 5, 6] }, "staging-b": { slots: [6, 7, 8, 9] } });
        const dir = project(text);
        const r = await run(dir, ["check"]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(/Pulumi\.staging\.yaml:\d+: staging-6 hosts.staging-b.slots: slot 6 is on hosts staging and staging-b; a slot runs on exactly one host/);
        expect(r.stderr).to.match(/Pulumi\.staging\.yaml:\d+: staging-10 hosts: slot 10 is on no host; add it to the slots of exactly one host under hosts/);
        expect(r.stderr).to.not.match(/\n\s+at /);
        expect(stackText(dir)).to.equal(text);
    });

    it("the program, slots check, slots plan and slots guard refuse a bad host map with the same problems", async () => {
        const text = withHosts({ staging: { slots: [1, 2, 3, 4, 5, 6] }, "staging-b": { slots: [6, 7, 8, 9], regoin: "sfo3" } });
        const dir = project(text);
        const ev = await evaluate(parseStackConfig(text, "Pulumi.staging.yaml"), { now: NOW });
        expect(ev.resources).to.deep.equal([]);
        expect(ev.error).to.be.instanceOf(ConfigError);
        const program = (ev.error as ConfigError).problems.map(formatProblem).sort();
        expect(program).to.have.length(3);
        const check = await run(dir, ["check"]);
        expect(check.stderr.trimEnd().split("\n").map((l) => l.replace(/^Pulumi\.staging\.yaml:\d+: /, "")).sort()).to.deep.equal(program);
        writeFileSync(path.join(dir, "preview.json"), JSON.stringify({ steps: [{ op: "same", urn: "urn:pulumi:staging::staging-slots::pulumi:pulumi:Stack::staging-slots-staging" }] }));
        // The base revision holds the valid file; the working tree the bad one.
        const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: dir, stdio: "ignore" });
        writeFileSync(path.join(dir, "Pulumi.staging.yaml"), STACK_TEXT);
        git("init", "-q");
        git("add", "Pulumi.staging.yaml");
        git("commit", "-q", "-m", "valid");
        writeFileSync(path.join(dir, "Pulumi.staging.yaml"), text);
        for (const argv of [["plan", "--base", "HEAD"], ["guard", "--preview", "preview.json", "--base", "HEAD"]]) {
            const r = await run(dir, argv);
            expect(r.code, argv[0]).to.equal(1);
            expect(r.stderr.trimEnd().split("\n").map((l) => l.replace(/^Pulumi\.staging\.yaml: /, "")).sort(), argv[0]).to.deep.equal(program);
        }
        expect(stackText(dir)).to.equal(text);
    });

    it("refuses a claim while the host map is bad, leaving the file byte-identical", async () => {
        const text = withHosts({ staging: { slots: [1, 2, 3] } });
        const dir = project(text);
        const r = await run(dir, claimArgs("JOB-1"));
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(/staging-4 hosts: slot 4 is on no host/);
        expect(stackText(dir)).to.equal(text);
    });
});
