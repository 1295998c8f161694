// Reads a Pulumi stack file (Pulumi.<stack>.yaml) the way the engine would hand its config to the
// program, without the Pulumi CLI. Secure values cannot be decrypted offline: they stand as the
// placeholder "[secret]" and are flagged secret.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument } from "yaml";

import { SECRET_VALUE } from "../components/configDecode";
import { PROJECT } from "../components/settings";
import { formatProblem } from "../components/validation";
import { MAX_ALIAS_COUNT, YamlProblem, canonicalConfigKey, stackYamlProblems } from "./stackYaml";

/** A stack's config as the engine passes it: `project:key` → string, plus which keys are secret. */
export interface EngineConfig {
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
}

/** The placeholder offline evaluation uses for every secure value (the decoder's own). */
export const SECRET_PLACEHOLDER = SECRET_VALUE;

/** Thrown when a stack file cannot be read or parsed; each line names the file (and line) and the fix. */
export class StackFileError extends Error {
    readonly lines: readonly string[];
    constructor(message: string | readonly string[]) {
        const lines = typeof message === "string" ? [message] : message;
        super(lines.join("\n"));
        this.lines = lines;
        this.name = "StackFileError";
    }
}

/** The path of `Pulumi.<stack>.yaml` under `root`. */
export function stackFilePath(root: string, stack: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(stack)) {
        throw new StackFileError(`stack name "${stack}" may contain only letters, digits, '.', '_' and '-'`);
    }
    return path.join(root, `Pulumi.${stack}.yaml`);
}

function isSecure(v: unknown): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
}

function containsSecure(v: unknown): boolean {
    if (isSecure(v)) return true;
    if (Array.isArray(v)) return v.some(containsSecure);
    if (typeof v === "object" && v !== null) return Object.values(v).some(containsSecure);
    return false;
}

/** A stack file read: the engine's config, and what the Pulumi CLI would read differently. */
export interface StackText {
    readonly config: EngineConfig;
    /** YAML-level problems (offline/stackYaml.ts), each with its line; the config is the YAML 1.2 reading. */
    readonly problems: readonly YamlProblem[];
}

/**
 * The top level of stack file text and its YAML-level problems. Throws a StackFileError only when
 * the file cannot be read at all: not YAML, aliases that expand without bound, not a map.
 */
function readDocument(text: string, file: string): { root: Record<string, unknown>; problems: YamlProblem[] } {
    const lines = new LineCounter();
    // Duplicate keys are judged by stackYamlProblems, which names both lines and the fix.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    if (doc.errors.length > 0) {
        throw new StackFileError(
            doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: not valid YAML: ${e.message.split("\n")[0]}; nothing was read or written`),
        );
    }
    const problems = stackYamlProblems(doc, lines);
    let root: unknown;
    try {
        root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
        // The yaml package throws a ReferenceError when aliases expand past maxAliasCount.
        if (e instanceof ReferenceError) {
            throw new StackFileError(`${file}: its aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies, as an alias bomb does; write the values out instead of aliasing them`);
        }
        throw e;
    }
    if (root === null || root === undefined) return { root: {}, problems };
    if (typeof root !== "object" || Array.isArray(root)) {
        throw new StackFileError(`${file}: expected a map with a config: section`);
    }
    return { root: root as Record<string, unknown>, problems };
}

function refuse(problems: readonly YamlProblem[], file: string): void {
    if (problems.length > 0) throw new StackFileError(problems.map((p) => `${file}:${p.line}: ${formatProblem(p)}`));
}

/**
 * The top level of stack file text (`config`, and the engine's own keys: `secretsprovider`,
 * `encryptedkey`, `encryptionsalt`, `environment`). Refuses, one line per problem, a file that is
 * not YAML, that the Pulumi CLI would read differently (offline/stackYaml.ts), or whose aliases
 * expand without bound.
 */
export function readStackRoot(text: string, file: string): Record<string, unknown> {
    const { root, problems } = readDocument(text, file);
    refuse(problems, file);
    return root;
}

/**
 * The config section of a stack file's top level (readStackRoot), keyed by full key as the engine
 * reads it (a bare key and the legacy `project:config:key` belong to `project:key`). Secure
 * values stay `{secure: ciphertext}`.
 */
export function configSection(root: Record<string, unknown>, file: string): Record<string, unknown> {
    const config = root.config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new StackFileError(`${file}: config: must be a map of ${PROJECT}:<key> to values`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config as Record<string, unknown>)) out[canonicalConfigKey(key)] = value;
    return out;
}

function engineConfig(section: Record<string, unknown>, file: string): EngineConfig {
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [fullKey, value] of Object.entries(section)) {
        if (isSecure(value)) {
            values[fullKey] = SECRET_PLACEHOLDER;
            secretKeys.push(fullKey);
        } else if (containsSecure(value)) {
            // A secure leaf inside an object is decrypted by requireObject without being marked
            // secret; the program keeps secrets in keys of their own, so refuse it here.
            throw new StackFileError(`${file}: ${fullKey} holds a secure value inside a map or list; keep secrets in their own keys (pulumi config set --secret <key>)`);
        } else if (typeof value === "string") {
            values[fullKey] = value;
        } else {
            values[fullKey] = JSON.stringify(value);
        }
    }
    return { values, secretKeys };
}

/**
 * Reads stack file text into the engine's config form and its YAML-level problems, without
 * refusing on those (slots check lists them with the validator's).
 */
export function readStackText(text: string, file: string): StackText {
    const { root, problems } = readDocument(text, file);
    return { config: engineConfig(configSection(root, file), file), problems };
}

/** Parses stack file text into the engine's config form, refusing a file the engine would read differently. */
export function parseStackConfig(text: string, file: string): EngineConfig {
    const { config, problems } = readStackText(text, file);
    refuse(problems, file);
    return config;
}

/** The text of `Pulumi.<stack>.yaml` under `root`, and the file's name as messages give it. */
export function readStackFileText(root: string, stack: string): { text: string; name: string } {
    const file = stackFilePath(root, stack);
    try {
        return { text: readFileSync(file, "utf8"), name: path.basename(file) };
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new StackFileError(
            code === "ENOENT" ? `${file} does not exist; create the stack (pulumi stack init ${stack}) or pass --stack NAME` : `${file}: ${(e as Error).message}`,
        );
    }
}

/** Reads `Pulumi.<stack>.yaml` under `root`. */
export function readStackConfigFile(root: string, stack: string): EngineConfig {
    const { text, name } = readStackFileText(root, stack);
    return parseStackConfig(text, name);
}
