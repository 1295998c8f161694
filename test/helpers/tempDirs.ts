// Temporary folders for tests, removed when the test run ends (a root-level mocha hook; outside
// mocha, when the process exits), so that a run leaves nothing behind in the temporary directory.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const made: string[] = [];

/** A new empty folder under the system's temporary directory, named `<prefix>XXXXXX`. */
export function tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    made.push(dir);
    return dir;
}

function removeAll(): void {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

if (typeof after === "function") after(removeAll);
else process.once("exit", removeAll);
