// The stack file as the command sees it: read it, judge it with the program's own rules
// (offline/stackFile.ts → components/configDecode.ts → components/validation.ts), point every
// problem at its line, and write edits back atomically under a lock.

import { randomBytes } from "node:crypto";
import { accessSync, closeSync, constants, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import * as path from "node:path";
import { Document, LineCounter, Node, isCollection, isMap, isNode, parseDocument } from "yaml";

import { decodeEngineConfig } from "../components/configDecode";
import { PROJECT, Settings } from "../components/settings";
import { Problem, ValidationResult, formatProblem, validateSettings } from "../components/validation";
import { StackFileError, StackText, readStackText, stackFilePath } from "../offline/stackFile";
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
    /**
     * What the Pulumi CLI would read differently from `raw` (offline/stackYaml.ts), each with its
     * line: errors like the validator's, so check lists them with the rest and nothing else reads on.
     */
    readonly yamlErrors: readonly Problem[];
    readonly lines: LineCounter;
}

/**
 * Parses and judges stack file text; throws a UserError listing every YAML syntax error. The YAML
 * rules (keys Pulumi reads as one, YAML 1.1 readings) are offline/stackFile.ts's, shared with plan
 * and guard, which refuse on them; here they join the validator's problems.
 */
export function analyse(stack: string, file: string, text: string, now: Date): Stack {
    const name = path.basename(file);
    const lines = new LineCounter();
    let read: StackText;
    try {
        read = readStackText(text, name);
    } catch (e) {
        if (e instanceof StackFileError) throw new UserError(e.lines);
        throw e;
    }
    const raw = decodeEngineConfig(read.config.values, read.config.secretKeys);
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    return { stack, file, name, text, doc, raw, result: validateSettings(raw, now), yamlErrors: read.problems, lines };
}

/** Refuses a stack file the engine would read differently, one line per problem (for the commands that read on). */
export function requireReadable(s: Stack): Stack {
    if (s.yamlErrors.length > 0) throw new UserError(s.yamlErrors.map((p) => problemLine(s, p)));
    return s;
}

/**
 * Reads and judges Pulumi.<stack>.yaml under the project root. A file the engine would read
 * differently is refused here, unless `listProblems` (slots check) asks to list it with the rest.
 */
export function readStack(io: Io, stack: string, opts: { listProblems?: boolean } = {}): Stack {
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
    const read = analyse(stack, file, text, io.now());
    return opts.listProblems ? read : requireReadable(read);
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
    const node = p.line === undefined ? nodeFor(s, p.field) : undefined;
    const at = p.line !== undefined ? `:${p.line}` : node?.range ? `:${s.lines.linePos(node.range[0]).line}` : "";
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

/** Refuses a stack file nobody may write: renaming over it would replace it regardless of its mode. */
function requireWritable(file: string): void {
    const target = realpathSync(file);
    const mode = statSync(target).mode & 0o777;
    let writable = (mode & 0o222) !== 0;
    try {
        accessSync(target, constants.W_OK);
    } catch {
        writable = false;
    }
    if (!writable) {
        const name = path.basename(file);
        throw new UserError([`${name} is read-only (mode ${mode.toString(8).padStart(3, "0")}); nothing was written. If you mean to edit it, make it writable first: chmod u+w ${name}`]);
    }
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
        requireWritable(before.file);
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
