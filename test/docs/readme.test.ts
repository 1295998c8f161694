// The README's reference tables against the code they describe: a key, command or workflow job
// added without its README line (or a line left behind after a removal) fails here.

import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { HELP } from "../../cli/help";
import { COMMAND_NAMES } from "../../cli/index";
import { SECRET_KEYS } from "../../components/settings";
import { CLAIM_FIELDS, CONFIG_KEYS, WAIT_FIELDS } from "../../components/validation";

const ROOT = path.resolve(__dirname, "..", "..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The text under `heading` (a whole heading line), up to the next heading. */
function section(heading: string): string {
    const lines = README.split("\n");
    const start = lines.indexOf(heading);
    expect(start, `README has no heading "${heading}"`).to.be.at.least(0);
    const end = lines.findIndex((line, i) => i > start && /^#{1,6} /.test(line));
    return lines.slice(start + 1, end === -1 ? undefined : end).join("\n");
}

/** The first cells of a section's table rows that are written as `code`. */
function firstCells(text: string, pattern: RegExp): string[] {
    return text.split("\n").flatMap((line) => {
        const m = pattern.exec(line);
        return m?.[1] !== undefined ? [m[1]] : [];
    });
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as dashes. */
function anchor(heading: string): string {
    return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

describe("README", () => {
    it("the config reference lists every config key and secret, once, and nothing else", () => {
        const keys = firstCells(section("## Config reference"), /^\| `([A-Za-z]+)` \|/);
        expect(new Set(keys).size, "a key listed twice").to.equal(keys.length);
        expect([...keys].sort()).to.deep.equal([...CONFIG_KEYS, ...SECRET_KEYS].sort());
    });

    it("the field tables list every claim field and every waitlist field, in the order slots writes them", () => {
        const text = section("### Claim and waitlist fields");
        expect(firstCells(text, /^\| `([A-Za-z]+)` \| (?:yes|no)/).join(" ")).to.equal([...CLAIM_FIELDS, ...WAIT_FIELDS].join(" "));
    });

    it("the command table lists every command slots dispatches, and so does slots --help", () => {
        const commands = firstCells(section("### Every command"), /^\| `slots ([a-z]+)` \|/);
        expect([...commands].sort()).to.deep.equal([...COMMAND_NAMES].sort());
        for (const name of COMMAND_NAMES) expect(HELP, `slots --help names ${name}`).to.match(new RegExp(`^  ${name}\\b`, "m"));
    });

    it("the table of who runs what names every workflow and every job of a workflow with several", () => {
        const table = section("### Who runs what, with which credentials");
        const dir = path.join(ROOT, ".github", "workflows");
        const files = readdirSync(dir).filter((f) => f.endsWith(".yml"));
        expect(files).to.not.be.empty;
        for (const file of files) {
            const workflow = parse(readFileSync(path.join(dir, file), "utf8")) as { name: string; jobs: Record<string, { name?: string }> };
            expect(table, `${file}'s name`).to.contain(`${workflow.name}`);
            expect(table, `${file}'s file name`).to.contain(`(\`${file}\`)`);
            const jobs = Object.values(workflow.jobs);
            if (jobs.length < 2) continue;
            for (const job of jobs) {
                const name = (job.name ?? "").replace(/ \([^)]*\)$/, "");
                expect(table, `${file}: job "${name}"`).to.contain(`› *${name}*`);
            }
        }
    });

    it("every link to a section of the README leads to one of its headings", () => {
        const anchors = new Set(README.split("\n").filter((l) => /^#{1,6} /.test(l)).map((l) => anchor(l.replace(/^#+ /, ""))));
        const links = [...README.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
        expect(links).to.not.be.empty;
        for (const link of links) expect([...anchors], `link #${link}`).to.include(link);
    });

    it("names the Node release of .nvmrc and no earlier runtime or loader", () => {
        const nvmrc = readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();
        expect(section("## Start here")).to.contain(`Node.js ${nvmrc}`);
        expect(README).to.not.match(/ts-node|Node(\.js)? (1\d|2[0-3])\b/);
    });
});
