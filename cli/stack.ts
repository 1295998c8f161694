// The stack file as the command sees it: read it, judge it with the program's own rules
// (offline/stackFile.ts → components/configDecode.ts → components/validation.ts), point every
// problem at its line, and write edits back atomically under a lock.

import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import * as path from "node:path";
import { Document, LineCounter, Node, isCollection, isMap, isNode, isScalar, parseDocument } from "yaml";

import { decodeEngineConfig } from "../components/configDecode";
import { PROJECT, Settings } from "../components/settings";
import { Problem, ValidationResult, formatProblem, validateSettings } from "../components/validation";
import { StackFileError, parseStackConfig, stackFilePath } from "../offline/stackFile";
import { Io, UserError } from "./io";
import { withLock } from "./lock";
import { renderEdit } from "./yamlEdit";

/** The stack the command works on when --stack is not given. */
export const DEFAULT_STACK = "staging";

/** A stack file read and judged. */
export interface Stack {
    readonly stack: string;
    /** Absolute path of Pulumi.<stack>.yaml. */
    readonly file: string;
    /** Pulumi.<stack>.yaml, as messages name it. */
    readonly name: string;
    readonly text: string;
    readonly doc: Document;
    /** Every key without its `staging-slots:` prefix, decoded as the program decodes it. */
    readonly raw: Record<string, unknown>;
    readonly result: ValidationResult;
    /** Problems the YAML itself has that the plain values no longer show. */
    readonly yamlErrors: readonly Problem[];
    readonly lines: LineCounter;
}

/** Parses and judges stack file text; throws a UserError listing every YAML syntax error. */
export function analyse(stack: string, file: string, text: string, now: Date): Stack {
    const name = path.basename(file);
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    if (doc.errors.length > 0) {
        throw new UserError(
            doc.errors.map((e) => {
                const at = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
                return `${name}:${at.line}: not valid YAML: ${e.message.split("\n")[0]}; nothing was read or written`;
            }),
        );
    }
    let raw: Record<string, unknown>;
    try {
        raw = decodeEngineConfig(parseStackConfig(text, name).values);
    } catch (e) {
        if (e instanceof StackFileError) throw new UserError([e.message]);
        throw e;
    }
    return { stack, file, name, text, doc, raw, result: validateSettings(raw, now), yamlErrors: duplicateClaimKeys(doc), lines };
}

// `4:` and `"4":` are different YAML keys but the same slot; the engine would keep one silently.
function duplicateClaimKeys(doc: Document): Problem[] {
    const config = doc.get("config", true);
    if (!isMap(config)) return [];
    const pair = config.items.find((p) => isScalar(p.key) && (p.key.value === `${PROJECT}:claims` || p.key.value === "claims"));
    if (!pair || !isMap(pair.value)) return [];
    const seen = new Set<string>();
    const problems: Problem[] = [];
    for (const item of pair.value.items) {
        const key = isScalar(item.key) ? String(item.key.value) : "";
        if (seen.has(key) && /^[1-9]\d*$/.test(key)) {
            problems.push({ slot: Number(key), field: `claims.${key}`, message: `slot ${key} is claimed twice (once as "${key}", once as ${key}); keep one claim` });
        }
        seen.add(key);
    }
    return problems;
}

/** Reads and judges Pulumi.<stack>.yaml under the project root. */
export function readStack(io: Io, stack: string): Stack {
    let file: string;
    try {
        file = stackFilePath(io.cwd, stack);
    } catch (e) {
        throw new UserError([(e as Error).message]);
    }
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError([
            code === "ENOENT"
                ? `${path.basename(file)} not found in ${io.cwd}; run slots from the project root, or pass --stack NAME for another stack`
                : `cannot read ${path.basename(file)}: ${(e as Error).message}`,
        ]);
    }
    return analyse(stack, file, text, io.now());
}

function nodeFor(s: Stack, field: string): Node | undefined {
    const parts = field.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== "");
    const config = s.doc.get("config", true);
    if (!isMap(config) || parts.length === 0) return undefined;
    let node = [`${PROJECT}:${parts[0]}`, parts[0]].map((k) => config.get(k, true)).find((n) => n !== undefined);
    // Stop at the deepest node that exists: a missing field points at its claim.
    for (const part of parts.slice(1)) {
        if (!isCollection(node)) break;
        const next = node.get(part, true) ?? (/^\d+$/.test(part) ? node.get(Number(part), true) : undefined);
        if (!isNode(next)) break;
        node = next;
    }
    return isNode(node) ? node : undefined;
}

/** A problem as one line, prefixed with the file and line it points at when known. */
export function problemLine(s: Stack, p: Problem): string {
    const node = nodeFor(s, p.field);
    const at = node?.range ? `:${s.lines.linePos(node.range[0]).line}` : "";
    return `${s.name}${at}: ${formatProblem(p)}`;
}

/** Every error in the file: YAML-level first, then the validator's. */
export function errorsOf(s: Stack): readonly Problem[] {
    return [...s.yamlErrors, ...s.result.errors];
}

/** The validated settings, or a UserError listing every problem in the file. */
export function requireSettings(s: Stack, doing: string): Settings {
    const errors = errorsOf(s);
    if (errors.length > 0 || !s.result.settings) {
        throw new UserError([`${s.name} has ${errors.length} problem${errors.length === 1 ? "" : "s"}; fix ${errors.length === 1 ? "it" : "them"} before you ${doing} (slots check lists them):`, ...errors.map((p) => `  ${problemLine(s, p)}`)]);
    }
    return s.result.settings;
}

function writeAtomic(file: string, text: string): void {
    // Writing through a symlink would replace the link with a file; write where it points.
    const target = realpathSync(file);
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    const fd = openSync(tmp, "wx", statSync(target).mode & 0o777);
    try {
        try {
            writeSync(fd, text);
            fsyncSync(fd);
        } finally {
            closeSync(fd);
        }
        renameSync(tmp, target);
    } catch (e) {
        try {
            unlinkSync(tmp);
        } catch {
            // Already renamed or never written.
        }
        throw e;
    }
}

/** What an edit did, for the command to report. */
export interface Edited<T> {
    readonly before: Stack;
    readonly after: Stack;
    readonly outcome: T;
}

/**
 * Applies `edit` to the stack file under its lock: reads it fresh, lets `edit` change the claims of
 * the slots it names and, when it says so, the waitlist in the document (or throw a UserError), judges the whole resulting file with the
 * program's rules and writes it only if it has no error. The file is left untouched otherwise.
 */
export async function editStack<T>(
    io: Io,
    stack: string,
    edit: (current: Stack) => { slot: number | readonly number[]; waitlist?: boolean; outcome: T },
): Promise<Edited<T>> {
    const file = (() => {
        try {
            return stackFilePath(io.cwd, stack);
        } catch (e) {
            throw new UserError([(e as Error).message]);
        }
    })();
    return withLock(file, () => {
        const before = readStack(io, stack);
        const yamlErrors = before.yamlErrors;
        if (yamlErrors.length > 0) throw new UserError(yamlErrors.map((p) => problemLine(before, p)));
        // Edit a second parse so `before` keeps describing the file as it is on disk.
        const draft = parseDocument(before.text);
        const { slot, waitlist, outcome } = edit({ ...before, doc: draft });
        const text = renderEdit(before.text, draft, slot, waitlist);
        const after = analyse(stack, before.file, text, io.now());
        const errors = errorsOf(after);
        if (errors.length > 0) {
            throw new UserError([
                `${before.name} would have ${errors.length} problem${errors.length === 1 ? "" : "s"} after this change; nothing was written:`,
                // Line numbers would point into text that was never written.
                ...errors.map((p) => `  ${formatProblem(p)}`),
            ]);
        }
        // Nothing changed (the claim went meanwhile, say): the file is not even rewritten.
        if (text === before.text) return { before, after, outcome };
        if (readFileSync(before.file, "utf8") !== before.text) {
            throw new UserError([`${before.name} changed while the command was editing it; nothing was written. Run the command again`]);
        }
        writeAtomic(before.file, text);
        return { before, after, outcome };
    });
}
