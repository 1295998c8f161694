// Which config keys differ between two versions of a stack file, other than the per-slot lists
// (claims). Every such key is a host change, whatever the preview shows: a new repository,
// appEnv or deploy timeout changes what every slot runs; a provider or secret key changes how
// the program reaches the cloud. Compared as written in the file (a secure value by its
// ciphertext), so a changed secret counts too.

import { SLOT_LIST_KEYS, PROJECT } from "../components/settings";
import { canonicalJson } from "./planDiff";
import { configSection, readStackRoot } from "./stackFile";

const SLOT_LISTS = new Set(SLOT_LIST_KEYS.map((k) => `${PROJECT}:${k}`));

/** One version of a stack file: its text and the name messages give it. */
export interface StackText {
    readonly text: string;
    readonly name: string;
}

function changedKeys(b: Readonly<Record<string, unknown>>, a: Readonly<Record<string, unknown>>): string[] {
    return [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => canonicalJson(b[k]) !== canonicalJson(a[k])).sort();
}

/**
 * The full keys (`project:key`) outside the per-slot lists that are added, removed or changed
 * going from `before` to `after` (`before` undefined when the file is new), sorted; then the
 * stack file's own top-level keys that changed (`secretsprovider`, `environment`, ...: how the
 * engine decrypts and where it imports config from), as `stack file <key>`.
 */
export function hostConfigChanges(before: StackText | undefined, after: StackText): string[] {
    // Each version is parsed once: its config section and its top level come from the same root.
    const bRoot = before === undefined ? {} : readStackRoot(before.text, before.name);
    const b = before === undefined ? {} : configSection(bRoot, before.name);
    const aRoot = readStackRoot(after.text, after.name);
    const a = configSection(aRoot, after.name);
    const { config: _bc, ...bTop } = bRoot;
    const { config: _ac, ...aTop } = aRoot;
    return [
        ...changedKeys(b, a).filter((k) => !SLOT_LISTS.has(k)),
        ...changedKeys(bTop, aTop).map((k) => `stack file ${k}`),
    ];
}
