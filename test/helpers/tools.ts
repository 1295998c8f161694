// Tests that need an external program (shellcheck, caddy, cloud-init, docker-compose, git…)
// declare it here. Without the program such a test is skipped, and its title says which program
// is missing; with REQUIRE_TOOLS=1 (as CI sets) it runs and fails instead, so a CI image that
// lost a tool cannot pass quietly.

import { accessSync, constants } from "node:fs";
import * as path from "node:path";

/** Whether missing tools fail tests instead of skipping them. */
export function toolsRequired(): boolean {
    return process.env.REQUIRE_TOOLS === "1";
}

/** Whether an executable named `tool` is on PATH. */
export function hasTool(tool: string): boolean {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        try {
            accessSync(path.join(dir, tool), constants.X_OK);
            return true;
        } catch {
            // Not in this PATH entry; keep looking.
        }
    }
    return false;
}

/** The tools of `tools` that are not on PATH. */
export function missingTools(tools: readonly string[]): string[] {
    return tools.filter((t) => !hasTool(t));
}

function skipNote(missing: readonly string[]): string {
    return `(skipped: ${missing.join(", ")} not installed; set REQUIRE_TOOLS=1 to fail instead)`;
}

/**
 * `it(title, fn)` for a test that runs `tools`. When one is missing the test is registered as
 * pending with the missing tools in its title, or, under REQUIRE_TOOLS=1, as a failing test
 * naming them.
 */
export function itNeeds(tools: readonly string[], title: string, fn: Mocha.Func): Mocha.Test;
export function itNeeds(tools: readonly string[], title: string, fn: Mocha.AsyncFunc): Mocha.Test;
export function itNeeds(tools: readonly string[], title: string, fn: Mocha.Func | Mocha.AsyncFunc): Mocha.Test {
    const missing = missingTools(tools);
    return itRequires(missing, `${missing.join(", ")} not on PATH`, title, fn as Mocha.Func);
}

/**
 * The general form of itNeeds, for what is not a program on PATH (an npm module that did not
 * load, say): `missing` names what is absent (empty when all is there), `why` says so.
 */
export function itRequires(missing: readonly string[], why: string, title: string, fn: Mocha.Func | Mocha.AsyncFunc): Mocha.Test {
    // Mocha runs either kind the same way; its overloads just cannot take the union.
    const body = fn as Mocha.Func;
    if (missing.length === 0) return it(title, body);
    if (toolsRequired()) {
        return it(title, () => {
            throw new Error(`${why}, and REQUIRE_TOOLS=1 requires ${missing.length === 1 ? "it" : "them"}; install ${missing.join(", ")}`);
        });
    }
    return it.skip(`${title} ${skipNote(missing)}`, body);
}

/** `describe(title, fn)` for a suite whose every test runs `tools`; see itNeeds. */
export function describeNeeds(tools: readonly string[], title: string, fn: (this: Mocha.Suite) => void): Mocha.Suite | void {
    const missing = missingTools(tools);
    if (missing.length === 0) return describe(title, fn);
    if (toolsRequired()) {
        return describe(title, () => {
            it(`needs ${missing.join(", ")}`, () => {
                throw new Error(`${missing.join(", ")} not on PATH, and REQUIRE_TOOLS=1 requires ${missing.length === 1 ? "it" : "them"}; install ${missing.join(", ")}`);
            });
        });
    }
    return describe.skip(`${title} ${skipNote(missing)}`, fn);
}
