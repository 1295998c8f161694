// Runs commands with the gh stand-in (test/fixtures/gh/gh) first on PATH and reads back the calls
// it recorded.

import { readFileSync, existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";

import { tempDir } from "../helpers/tempDirs";

const STANDIN = path.join(__dirname, "..", "fixtures", "gh-api");

/** One recorded call of gh. */
export interface GhCall {
    readonly args: string[];
    readonly stdin: string;
    readonly token: boolean;
    readonly repo: string | null;
}

/** A place for one test's gh calls, with the fixture gh answers from. */
export interface GhStandin {
    /** The environment to run a command with. */
    readonly env: Record<string, string | undefined>;
    calls(): GhCall[];
}

export function ghStandin(fixture: Record<string, unknown> = {}, env: Record<string, string | undefined> = {}): GhStandin {
    const dir = tempDir("gh-standin-");
    const log = path.join(dir, "calls.jsonl");
    const fixtureFile = path.join(dir, "fixture.json");
    writeFileSync(fixtureFile, JSON.stringify(fixture));
    return {
        env: {
            PATH: `${STANDIN}${path.delimiter}${process.env.PATH ?? ""}`,
            GH_TOKEN: "test-only-token",
            GH_STANDIN_LOG: log,
            GH_STANDIN_FIXTURE: fixtureFile,
            ...env,
        },
        calls: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as GhCall) : []),
    };
}
