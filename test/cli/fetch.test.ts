import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";

import { RunError } from "@pulumi/pulumi";

import { evaluate } from "../../offline/recorder";
import { parseStackConfig } from "../../offline/stackFile";
import { AppRepo, createAppRepo } from "../fixtures/appRepo";
import { NOW, claim } from "../helpers/config";
import { describeNeeds } from "../helpers/tools";
import { STACK_TEXT, run, tempProject } from "./harness";

const IMAGES = { "campaign-ui": { context: "." }, airflow: { context: "airflow" } };

describeNeeds(["git"], "slots fetch: the checkouts images are built from", function () {
    this.timeout(60_000);
    let tmp: string;
    let repo: AppRepo;
    let bareUrl: string;
    const dirs: string[] = [];

    before(() => {
        tmp = mkdtempSync(path.join(os.tmpdir(), "slots-fetch-"));
        repo = createAppRepo(tmp);
        const bare = path.join(tmp, "origin.git");
        execFileSync("git", ["clone", "-q", "--bare", repo.dir, bare]);
        bareUrl = `file://${bare}`;
    });
    after(() => {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
        rmSync(tmp, { recursive: true, force: true });
    });

    function stackText(claims: Record<string, unknown>, images: unknown = IMAGES): string {
        // `null` leaves images out.
        const doc = parseDocument(STACK_TEXT);
        doc.setIn(["config", "staging-slots:repository"], bareUrl);
        if (images !== null) doc.setIn(["config", "staging-slots:images"], images);
        doc.setIn(["config", "staging-slots:claims"], claims);
        return String(doc);
    }
    function project(text: string): string {
        const dir = tempProject(text);
        dirs.push(dir);
        return dir;
    }
    const cache = (dir: string, commit: string) => path.join(dir, ".slots-cache", commit);

    it("checks out every claimed commit once, files only, as the commit has them", async () => {
        const dir = project(stackText({ "1": claim({ commit: repo.first }), "2": claim({ task: "JOB-2", commit: repo.first }), "3": claim({ task: "JOB-3", commit: repo.second }) }));
        const r = await run(dir, ["fetch"]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.include(`.slots-cache/${repo.first}/ (staging-1, staging-2): fetched`);
        expect(r.stdout).to.include(`.slots-cache/${repo.second}/ (staging-3): fetched`);
        expect(readdirSync(path.join(dir, ".slots-cache")).sort()).to.deep.equal([repo.first, repo.second].sort());
        expect(existsSync(path.join(cache(dir, repo.first), ".git"))).to.equal(false);
        expect(readFileSync(path.join(cache(dir, repo.first), "old-notes.txt"), "utf8")).to.equal("only in the first commit\n");
        expect(existsSync(path.join(cache(dir, repo.second), "old-notes.txt"))).to.equal(false);
        expect(readFileSync(path.join(cache(dir, repo.second), "app.txt"), "utf8")).to.equal("version two\n");
        expect(readFileSync(path.join(cache(dir, repo.second), "Dockerfile"), "utf8")).to.equal(readFileSync(path.join(repo.dir, "Dockerfile"), "utf8"));

        const again = await run(dir, ["fetch"]);
        expect(again.stdout).to.include(`.slots-cache/${repo.first}/ (staging-1, staging-2): already there`);

        // Slot 3 released: its commit's checkout goes.
        writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackText({ "1": claim({ commit: repo.first }) }));
        const pruned = await run(dir, ["fetch"]);
        expect(pruned.stdout).to.include(`.slots-cache/${repo.second}/: removed (no claim names it)`);
        expect(readdirSync(path.join(dir, ".slots-cache"))).to.deep.equal([repo.first]);
    });

    it("names a commit the repository does not have, with its slot and the fix, and leaves no partial checkout", async () => {
        const missing = "0123456789abcdef0123456789abcdef01234567";
        const dir = project(stackText({ "4": claim({ commit: missing }) }));
        const r = await run(dir, ["fetch"]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(new RegExp(`^cannot fetch commit ${missing} \\(staging-4, branch feature/login\\) from ${bareUrl.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: .+; push the branch, or check your access to the repository\\n$`));
        expect(readdirSync(path.join(dir, ".slots-cache"))).to.deep.equal([]);
    });

    it("does nothing without images", async () => {
        const dir = project(stackText({ "1": claim({ commit: repo.first }) }, null));
        const r = await run(dir, ["fetch"]);
        expect(r.code).to.equal(0);
        expect(r.stdout).to.match(/staging-slots:images is not set, so slots build on their droplet; nothing to fetch/);
        expect(existsSync(path.join(dir, ".slots-cache"))).to.equal(false);
    });

    it("the program refuses to preview without the checkouts, saying to run slots fetch, and evaluates after it", async () => {
        const text = stackText({ "1": claim({ commit: repo.first }), "3": claim({ task: "JOB-3", commit: repo.second }) });
        const dir = project(text);
        const config = parseStackConfig(text, "Pulumi.staging.yaml");
        const before = await evaluate(config, { now: NOW, checkoutRoot: dir });
        expect(before.error).to.be.instanceOf(RunError);
        expect(before.resources).to.deep.equal([]);
        expect(before.error?.message).to.equal(
            `images are built from a checkout of each claimed commit, and 2 are missing: .slots-cache/${repo.first}/ (staging-1), .slots-cache/${repo.second}/ (staging-3); run \`npx slots fetch\` in the project root, then preview again`,
        );
        expect((await run(dir, ["fetch"])).code).to.equal(0);
        const after = await evaluate(config, { now: NOW, checkoutRoot: dir });
        expect(after.error, after.error?.message).to.equal(undefined);
        // The offline plan needs no checkout at all.
        expect((await evaluate(config, { now: NOW })).error).to.equal(undefined);
    });
});
