// Claim edits on the stack file through the yaml Document API, written back so that only the
// touched claim's lines change. The Document API decides *what* the file says; the text of every
// pair it did not touch is copied from the source byte for byte, because the library's printer
// normalises blank lines, comment spacing and indentation of lines nobody asked to change. If the
// spliced text does not read back as exactly the edited document, the whole document is printed
// instead: correctness first, formatting second.

import { isDeepStrictEqual } from "node:util";
import { Document, Pair, Scalar, ToStringOptions, YAMLMap, YAMLSeq, isMap, isNode, isScalar, isSeq, parseDocument } from "yaml";

import { CLAIM_FIELDS, WAIT_FIELDS } from "../components/validation";
import { resolveYaml11 } from "../offline/stackYaml";
import { PROJECT } from "../components/settings";
import { UserError } from "./io";

/** The keys a stack file may hold the claims under: namespaced, or bare (Pulumi reads both). */
const CLAIMS_KEYS = [`${PROJECT}:claims`, "claims"];

type ClaimField = (typeof CLAIM_FIELDS)[number];

/** A value the command writes into a claim. */
export type FieldValue = string | number;

// Strings a YAML 1.1 reader (Go's yaml, older tools, offline/stackYaml.ts) or a YAML 1.2 reader
// would take for a boolean, null, number or merge key: the command quotes them so every reader
// sees the same string.
const AMBIGUOUS = /^(y|n|yes|no|on|off|true|false|null|~)$/i;

function scalar(field: string, value: FieldValue): Scalar {
    const node = new Scalar(value);
    if (typeof value === "string" && (field === "commit" || field === "claimedAt" || AMBIGUOUS.test(value) || /^[-+.\d]/.test(value) || resolveYaml11(value).kind !== "str")) {
        node.type = Scalar.QUOTE_DOUBLE;
    }
    return node;
}

function slotKey(slot: number): Scalar {
    const key = new Scalar(String(slot));
    key.type = Scalar.QUOTE_DOUBLE;
    return key;
}

/** The slot number a claims pair is keyed by, or NaN for a key that is not one. */
function slotOf(pair: Pair): number {
    return isScalar(pair.key) ? Number(String(pair.key.value)) : NaN;
}

function configMap(doc: Document): YAMLMap {
    const config = doc.get("config", true);
    if (config === undefined || (isScalar(config) && config.value === null)) {
        const created = new YAMLMap();
        doc.set("config", created);
        return created;
    }
    if (!isMap(config)) throw new UserError(["the stack file's config: must be a map of keys to values"]);
    return config;
}

function claimsPairOf(config: YAMLMap): Pair | undefined {
    for (const key of CLAIMS_KEYS) {
        const pair = config.items.find((p) => isScalar(p.key) && p.key.value === key);
        if (pair) return pair as Pair;
    }
    return undefined;
}

/** The claims map, or undefined when the file has none (or it is not a map). */
export function claimsMap(doc: Document): YAMLMap | undefined {
    const config = doc.get("config", true);
    if (!isMap(config)) return undefined;
    const pair = claimsPairOf(config);
    return pair && isMap(pair.value) ? pair.value : undefined;
}

/** The pair of `slot` in the claims map, whether its key was written "4" or 4. */
export function claimPair(claims: YAMLMap | undefined, slot: number): Pair | undefined {
    return claims?.items.find((p) => slotOf(p as Pair) === slot) as Pair | undefined;
}

function ensureClaimsMap(doc: Document): YAMLMap {
    const config = configMap(doc);
    const pair = claimsPairOf(config);
    if (pair && isMap(pair.value)) {
        // `claims: {}` is a flow map; claims read best one field a line. A flow map that holds
        // claims is the author's style and stays flow, so a claim and its release give the file back.
        if (pair.value.items.length === 0) pair.value.flow = false;
        return pair.value;
    }
    if (pair && !(isScalar(pair.value) && pair.value.value === null) && pair.value !== null) {
        throw new UserError([`${PROJECT}:claims must be a map keyed by slot number; fix it by hand first (slots check)`]);
    }
    const map = new YAMLMap();
    if (pair) pair.value = map;
    else config.items.push(new Pair(new Scalar(`${PROJECT}:claims`), map));
    return map;
}

/** Adds a claim on `slot` with `values`, keyed "N", in slot order and CLAIM_FIELDS order. */
export function insertClaim(doc: Document, slot: number, values: Partial<Record<ClaimField, FieldValue>>): void {
    const claims = ensureClaimsMap(doc);
    const value = new YAMLMap();
    for (const field of CLAIM_FIELDS) {
        const v = values[field];
        if (v !== undefined) value.items.push(new Pair(new Scalar(field), scalar(field, v)));
    }
    const at = claims.items.findIndex((p) => slotOf(p as Pair) > slot);
    const pair = new Pair(slotKey(slot), value);
    if (at === -1) claims.items.push(pair);
    else claims.items.splice(at, 0, pair);
}

/** Removes the claim on `slot`; an emptied map prints as `{}` again. */
export function removeClaim(doc: Document, slot: number): void {
    const claims = claimsMap(doc);
    const pair = claimPair(claims, slot);
    if (!claims || !pair) return;
    claims.items.splice(claims.items.indexOf(pair), 1);
    if (claims.items.length === 0) claims.flow = true;
}

/** Sets one field of the claim on `slot`, keeping CLAIM_FIELDS order for a new field. */
export function setClaimField(doc: Document, slot: number, field: ClaimField, value: FieldValue): void {
    const claim = claimPair(claimsMap(doc), slot)?.value;
    if (!isMap(claim)) throw new UserError([`staging-${slot} has no claim to change`]);
    const existing = claim.items.find((p) => isScalar(p.key) && p.key.value === field);
    if (existing) {
        existing.value = scalar(field, value);
        return;
    }
    const rank = (p: Pair): number => CLAIM_FIELDS.indexOf((isScalar(p.key) ? p.key.value : "") as ClaimField);
    const mine = CLAIM_FIELDS.indexOf(field);
    const at = claim.items.findIndex((p) => rank(p as Pair) > mine);
    const pair = new Pair(new Scalar(field), scalar(field, value));
    if (at === -1) claim.items.push(pair);
    else claim.items.splice(at, 0, pair);
}

/** The keys a stack file may hold the waitlist under. */
const WAITLIST_KEYS = [`${PROJECT}:waitlist`, "waitlist"];

function waitlistPairOf(config: YAMLMap): Pair | undefined {
    for (const key of WAITLIST_KEYS) {
        const pair = config.items.find((p) => isScalar(p.key) && p.key.value === key);
        if (pair) return pair as Pair;
    }
    return undefined;
}

function ensureWaitlist(doc: Document): YAMLSeq {
    const config = configMap(doc);
    const pair = waitlistPairOf(config);
    if (pair && isSeq(pair.value)) {
        // `waitlist: []` is a flow list; entries read best one field a line.
        pair.value.flow = false;
        return pair.value;
    }
    if (pair && !(isScalar(pair.value) && pair.value.value === null) && pair.value !== null) {
        throw new UserError([`${PROJECT}:waitlist must be a list of entries; fix it by hand first (slots check)`]);
    }
    const seq = new YAMLSeq();
    if (pair) pair.value = seq;
    else config.items.push(new Pair(new Scalar(`${PROJECT}:waitlist`), seq));
    return seq;
}

/** Appends a waitlist entry with `values`, in WAIT_FIELDS order. */
export function appendWaiter(doc: Document, values: Partial<Record<(typeof WAIT_FIELDS)[number], FieldValue>>): void {
    const entry = new YAMLMap();
    for (const field of WAIT_FIELDS) {
        const v = values[field];
        if (v !== undefined) entry.items.push(new Pair(new Scalar(field), scalar(field, v)));
    }
    ensureWaitlist(doc).items.push(entry);
}

/** Removes the waitlist entries at `indexes`; an emptied list prints as `[]`. */
export function removeWaiters(doc: Document, indexes: readonly number[]): void {
    const config = doc.get("config", true);
    const pair = isMap(config) ? waitlistPairOf(config) : undefined;
    if (!pair || !isSeq(pair.value)) return;
    const seq = pair.value;
    for (const i of [...indexes].sort((a, b) => b - a)) seq.items.splice(i, 1);
    if (seq.items.length === 0) seq.flow = true;
}

/** Forces the claim's commit to a quoted string, the one form every YAML reader keeps as text. */
export function quoteCommit(doc: Document, slot: number): void {
    const claim = claimPair(claimsMap(doc), slot)?.value;
    if (!isMap(claim)) return;
    const commit = claim.get("commit", true);
    if (isScalar(commit) && typeof commit.value === "string") commit.type = Scalar.QUOTE_DOUBLE;
}

function column(source: string, offset: number): number {
    return offset - (source.lastIndexOf("\n", offset - 1) + 1);
}

function lineStart(source: string, offset: number): number {
    return source.lastIndexOf("\n", offset - 1) + 1;
}

/** Where a pair's text starts (its key's line) and ends (after its value's last line). */
function span(source: string, pair: Pair): [number, number] | undefined {
    const key = pair.key;
    if (!isScalar(key) || !key.range) return undefined;
    const value = pair.value;
    let end = isNode(value) && value.range ? value.range[2] : key.range[2];
    end = Math.max(end, key.range[2]);
    if (end > 0 && source[end - 1] !== "\n") {
        const nl = source.indexOf("\n", end);
        end = nl === -1 ? source.length : nl + 1;
    }
    return [lineStart(source, key.range[0]), end];
}

function printOptions(step: number): ToStringOptions {
    return { indent: step, lineWidth: 0, flowCollectionPadding: false };
}

function renderPair(pair: Pair, col: number, step: number): string {
    // The comment lines above a pair stay where they are in the source; print the pair without them.
    const copy = pair.clone() as Pair;
    if (isScalar(copy.key)) {
        copy.key.commentBefore = undefined;
        copy.key.spaceBefore = false;
    }
    const doc = new Document(new YAMLMap());
    (doc.contents as YAMLMap).items.push(copy);
    const text = doc.toString(printOptions(step));
    const pad = " ".repeat(col);
    return text
        .split("\n")
        .map((line) => (line ? pad + line : line))
        .join("\n");
}

function indentStep(source: string, config: YAMLMap): number {
    const first = config.items[0];
    const col = first && isScalar(first.key) && first.key.range ? column(source, first.key.range[0]) : 0;
    return col > 0 ? col : 2;
}

function joinAt(source: string, at: number, text: string): string {
    const before = source.slice(0, at);
    const sep = before.length > 0 && !before.endsWith("\n") ? "\n" : "";
    return before + sep + text + source.slice(at);
}

function splice(source: string, edited: Document, slot: number): string | undefined {
    const before = parseDocument(source);
    const configBefore = before.get("config", true);
    const configAfter = edited.get("config", true);
    if (!isMap(configBefore) || !isMap(configAfter) || configBefore.items.length === 0) return undefined;
    const step = indentStep(source, configBefore);
    const pairBefore = claimsPairOf(configBefore);
    const pairAfter = claimsPairOf(configAfter);
    if (!pairAfter) return undefined;
    const blockWithItems = (p: Pair | undefined): YAMLMap | undefined =>
        p && isMap(p.value) && !p.value.flow && p.value.items.length > 0 ? p.value : undefined;
    const mapBefore = blockWithItems(pairBefore);
    const mapAfter = blockWithItems(pairAfter);

    if (mapBefore && mapAfter) {
        const first = mapBefore.items[0] as Pair;
        if (!isScalar(first.key) || !first.key.range) return undefined;
        const col = column(source, first.key.range[0]);
        const oldPair = claimPair(mapBefore, slot);
        const newPair = claimPair(mapAfter, slot);
        const text = newPair ? renderPair(newPair, col, step) : "";
        if (oldPair) {
            const s = span(source, oldPair);
            return s && source.slice(0, s[0]) + text + source.slice(s[1]);
        }
        if (!newPair) return source;
        const index = mapAfter.items.indexOf(newPair);
        if (index === 0) return joinAt(source, lineStart(source, first.key.range[0]), text);
        const s = span(source, mapBefore.items[index - 1] as Pair);
        return s && joinAt(source, s[1], text);
    }

    const firstConfig = configBefore.items[0] as Pair;
    if (!isScalar(firstConfig.key) || !firstConfig.key.range) return undefined;
    const col = column(source, firstConfig.key.range[0]);
    const text = renderPair(pairAfter, col, step);
    if (pairBefore) {
        const s = span(source, pairBefore);
        return s && source.slice(0, s[0]) + text + source.slice(s[1]);
    }
    const s = span(source, configBefore.items[configBefore.items.length - 1] as Pair);
    return s && joinAt(source, s[1], text);
}

// Replaces the waitlist's whole pair (or adds it after the last config key, or removes it).
function spliceWaitlist(source: string, edited: Document): string | undefined {
    const configBefore = parseDocument(source).get("config", true);
    const configAfter = edited.get("config", true);
    if (!isMap(configBefore) || !isMap(configAfter) || configBefore.items.length === 0) return undefined;
    const step = indentStep(source, configBefore);
    const first = configBefore.items[0] as Pair;
    if (!isScalar(first.key) || !first.key.range) return undefined;
    const col = column(source, first.key.range[0]);
    const pairBefore = waitlistPairOf(configBefore);
    const pairAfter = waitlistPairOf(configAfter);
    const text = pairAfter ? renderPair(pairAfter, col, step) : "";
    if (pairBefore) {
        const s = span(source, pairBefore);
        return s && source.slice(0, s[0]) + text + source.slice(s[1]);
    }
    if (!pairAfter) return source;
    const s = span(source, configBefore.items[configBefore.items.length - 1] as Pair);
    return s && joinAt(source, s[1], text);
}

/**
 * The new file text for `edited`, a document parsed from `source` whose only changes are the
 * claims on `slots` (one slot or several) and, when `waitlist` is set, the waitlist: the source
 * with those lines replaced, or the whole document printed when a splice would not read back as
 * `edited`.
 */
export function renderEdit(source: string, edited: Document, slots: number | readonly number[], waitlist = false): string {
    // Line endings and the final newline are the file's own: the edit is made on LF text ending
    // in a newline, and the result is given the file's style back, so that a claim and its
    // release leave a CRLF file or one without a final newline byte-identical.
    const crlf = source.includes("\r\n") && !/(^|[^\r])\n/.test(source);
    const finalNewline = source.length === 0 || source.endsWith("\n");
    let lf = crlf ? source.replace(/\r\n/g, "\n") : source;
    if (!finalNewline) lf += "\n";
    let out = renderLf(lf, edited, slots, waitlist);
    if (!finalNewline && out.endsWith("\n")) out = out.slice(0, -1);
    return crlf ? out.replace(/\n/g, "\r\n") : out;
}

function renderLf(source: string, edited: Document, slots: number | readonly number[], waitlist: boolean): string {
    let spliced: string | undefined = source;
    for (const slot of typeof slots === "number" ? [slots] : slots) {
        spliced = spliced === undefined ? undefined : splice(spliced, edited, slot);
    }
    if (waitlist && spliced !== undefined) spliced = spliceWaitlist(spliced, edited);
    if (spliced !== undefined) {
        const check = parseDocument(spliced);
        if (check.errors.length === 0 && isDeepStrictEqual(check.toJS(), edited.toJS())) return spliced;
    }
    const config = parseDocument(source).get("config", true);
    return edited.toString(printOptions(isMap(config) ? indentStep(source, config) : 2));
}
