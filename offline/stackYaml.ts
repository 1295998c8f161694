// What a stack file means to the Pulumi CLI, as opposed to what it means to a YAML 1.2 reader such
// as the `yaml` package every offline tool uses. The CLI reads stack files with gopkg.in/yaml.v2
// (pulumi/pulumi sdk/go/common/encoding/marshal.go imports `yaml "gopkg.in/yaml.v2"`), a YAML
// 1.1-style resolver: an unquoted `012` is the octal 10, `yes`/`on`/`y` are true, `1_000` is 1000,
// `0b11` is 3 and `<<` merges. Where the two readings differ, check, plan and guard would judge
// a file the engine reads differently, so the file is refused, naming the line and the quoted
// spelling that both read the same. Two keys that both readers keep apart but Pulumi maps to one
// (`4:` and `"4":`, `claims` and `staging-slots:claims`) are refused for the same reason: which
// one the engine keeps is not something a reviewer can see.
//
// Pure: takes a parsed document, returns problems with their lines.

import { Document, LineCounter, Pair, Scalar, YAMLMap, isAlias, isMap, isNode, isScalar, isSeq } from "yaml";

import { PROJECT } from "../components/settings";
import { Problem } from "../components/validation";

/** A problem of the stack file's YAML: a validator problem that also knows its 1-based line. */
export type YamlProblem = Problem & { readonly line: number };

/** How far aliases may expand before the file counts as an alias bomb (the yaml package's default). */
export const MAX_ALIAS_COUNT = 100;

/** What gopkg.in/yaml.v2 resolves an untagged plain scalar to (resolve.go, v2 branch). */
export type Yaml11Value =
    | { readonly kind: "null" }
    | { readonly kind: "bool"; readonly value: boolean }
    | { readonly kind: "int"; readonly value: bigint }
    | { readonly kind: "float"; readonly value: number }
    | { readonly kind: "merge" }
    | { readonly kind: "str" };

const YAML11_WORDS: ReadonlyMap<string, Yaml11Value> = new Map<string, Yaml11Value>([
    ...["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].map((w): [string, Yaml11Value] => [w, { kind: "bool", value: true }]),
    ...["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].map((w): [string, Yaml11Value] => [w, { kind: "bool", value: false }]),
    ...["", "~", "null", "Null", "NULL"].map((w): [string, Yaml11Value] => [w, { kind: "null" }]),
    ...[".nan", ".NaN", ".NAN"].map((w): [string, Yaml11Value] => [w, { kind: "float", value: NaN }]),
    ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((w): [string, Yaml11Value] => [w, { kind: "float", value: Infinity }]),
    ...["-.inf", "-.Inf", "-.INF"].map((w): [string, Yaml11Value] => [w, { kind: "float", value: -Infinity }]),
]);

// yaml.v2's resolveTable: only these first characters can start anything but a string.
const HINTED = /^[-+0-9yYnNtTfFoO~.]/;
// yaml.v2's yamlStyleFloat.
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64) then ParseUint(s, 0, 64): the value, or undefined when both fail. */
function goParseInt(s: string): bigint | undefined {
    const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(s);
    if (!m) return undefined;
    const [, sign, hex, oct, bin, legacyOctal, dec] = m;
    const magnitude =
        hex !== undefined ? BigInt(`0x${hex}`)
            : oct !== undefined ? BigInt(`0o${oct}`)
                : bin !== undefined ? BigInt(`0b${bin}`)
                    : legacyOctal !== undefined ? (legacyOctal === "" ? 0n : BigInt(`0o${legacyOctal}`))
                        : BigInt(dec as string);
    const value = sign === "-" ? -magnitude : magnitude;
    if (value >= INT64_MIN && value <= INT64_MAX) return value;
    // ParseUint takes no sign.
    if (sign === "" && value <= UINT64_MAX) return value;
    return undefined;
}

/**
 * How gopkg.in/yaml.v2 resolves an untagged plain scalar (resolve.go `resolve`). Timestamps are
 * left out: decoded into an interface value, as config values are, v2 keeps them as the string.
 */
export function resolveYaml11(source: string): Yaml11Value {
    // The decoder merges an implicit `<<` key whatever the resolver says (decode.go isMerge).
    if (source === "<<") return { kind: "merge" };
    if (!(source === "" || HINTED.test(source))) return { kind: "str" };
    const word = YAML11_WORDS.get(source);
    if (word) return word;
    const first = source[0];
    if (first === ".") {
        const f = /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(source) ? Number(source) : NaN;
        return Number.isFinite(f) ? { kind: "float", value: f } : { kind: "str" };
    }
    if (/[-+0-9]/.test(first)) {
        const plain = source.replace(/_/g, "");
        const int = goParseInt(plain);
        if (int !== undefined) return { kind: "int", value: int };
        if (YAML_STYLE_FLOAT.test(plain)) {
            // Go's ParseFloat fails with ErrRange where JavaScript gives ±Infinity; v2 then keeps the string.
            const f = Number(plain);
            if (Number.isFinite(f)) return { kind: "float", value: f };
        }
    }
    return { kind: "str" };
}

function showYaml11(v: Yaml11Value, source: string): string {
    switch (v.kind) {
        case "null":
            return "null";
        case "bool":
            return `the boolean ${String(v.value)}`;
        case "int":
            return `the number ${v.value.toString()}`;
        case "float":
            return `the number ${String(v.value)}`;
        case "merge":
            return "a merge key (<<)";
        case "str":
            return `the string "${source}"`;
    }
}

function showYaml12(v: unknown): string {
    if (v === null || v === undefined) return "null";
    if (typeof v === "boolean") return `the boolean ${String(v)}`;
    if (typeof v === "number" || typeof v === "bigint") return `the number ${String(v)}`;
    return `the string "${String(v)}"`;
}

/** Whether both readers agree on a plain scalar: same type, same value. */
export function sameReading(yaml11: Yaml11Value, yaml12: unknown): boolean {
    switch (yaml11.kind) {
        case "null":
            return yaml12 === null;
        case "bool":
            return yaml12 === yaml11.value;
        case "int":
            if (typeof yaml12 === "bigint") return yaml12 === yaml11.value;
            if (typeof yaml12 !== "number" || !Number.isInteger(yaml12)) return false;
            return Number.isSafeInteger(yaml12) ? BigInt(yaml12) === yaml11.value : Number(yaml11.value) === yaml12;
        case "float":
            return typeof yaml12 === "number" && (yaml12 === yaml11.value || (Number.isNaN(yaml12) && Number.isNaN(yaml11.value)));
        case "merge":
            return false;
        case "str":
            return typeof yaml12 === "string";
    }
}

/** The key Pulumi makes of a stack file's config key (config/key.go ParseKey, runtime cleanKey). */
export function canonicalConfigKey(key: string): string {
    const parts = key.split(":");
    if (parts.length === 1) return `${PROJECT}:${key}`;
    if (parts.length === 3 && parts[1] === "config") return `${parts[0]}:${parts[2]}`;
    return key;
}

function jsKey(key: unknown): string {
    if (isScalar(key)) return String(key.value);
    return String(key);
}

function describeNode(n: unknown): string {
    if (isMap(n)) return "a map";
    if (isSeq(n)) return "a list";
    if (isAlias(n)) return `an alias (*${n.source})`;
    if (isScalar(n)) return n.type === "PLAIN" ? String(n.source ?? n.value) : JSON.stringify(String(n.value));
    return "a value";
}

/**
 * Every YAML-level problem of a stack file's document: keys that Pulumi reads as one, plain
 * scalars that YAML 1.1 and 1.2 read differently, explicit tags, numbers that are not finite.
 * The document must have been parsed with `uniqueKeys: false`, so that duplicates reach here and
 * are named with both lines.
 */
export function stackYamlProblems(doc: Document, lines: LineCounter): YamlProblem[] {
    const problems: YamlProblem[] = [];
    const lineOf = (n: unknown): number => (isNode(n) && n.range ? lines.linePos(n.range[0]).line : 1);
    const add: Add = (n, at, message) => {
        const { slot, field } = at;
        problems.push({ line: lineOf(n), ...(slot === undefined ? {} : { slot }), field, message });
    };

    const root = doc.contents;
    if (isMap(root)) duplicateKeys(root, [], add, lineOf);
    const configPair = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === "config") : undefined;
    const config = configPair?.value;
    if (!isMap(config)) return sorted(problems);

    // Config keys that Pulumi reads as the same key.
    const byCanonical = new Map<string, Pair[]>();
    for (const pair of config.items) {
        if (!isScalar(pair.key) || typeof pair.key.value !== "string") {
            add(pair.key, { field: "" }, `config key ${describeNode(pair.key)} is not a string; config keys are written ${PROJECT}:<key>`);
            continue;
        }
        const canonical = canonicalConfigKey(pair.key.value);
        byCanonical.set(canonical, [...(byCanonical.get(canonical) ?? []), pair]);
    }
    for (const [canonical, pairs] of byCanonical) {
        if (pairs.length < 2) continue;
        const spellings = pairs.map((p) => `"${String((p.key as Scalar).value)}" (line ${lineOf(p.key)})`);
        add(pairs[1].key, locate([canonical]), `given ${pairs.length} times, as ${spellings.join(" and ")}; Pulumi keeps only one of them: keep one, spelled ${canonical}`);
    }

    for (const pair of config.items) {
        if (!isScalar(pair.key) || typeof pair.key.value !== "string") continue;
        const canonical = canonicalConfigKey(pair.key.value);
        walkValue(pair.value, [canonical], add);
        if (canonical === `${PROJECT}:claims` && isMap(pair.value)) claimKeys(pair.value, add);
    }
    return sorted(problems);
}

function sorted(problems: YamlProblem[]): YamlProblem[] {
    return problems.sort((a, b) => a.line - b.line);
}

/** Where a problem is, as the validator names it: the slot, and the field path without the project prefix. */
interface At {
    readonly slot?: number;
    readonly field: string;
}

type Add = (n: unknown, at: At, message: string) => void;

// `path` starts with the canonical config key (`staging-slots:claims`, `digitalocean:token`).
function locate(path: readonly string[]): At {
    const [key, ...rest] = path;
    const bare = key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key;
    const field = [bare, ...rest].join(".").replace(/\.\[/g, "[");
    if (bare === "claims" && rest.length > 0 && /^[1-9]\d*$/.test(rest[0])) return { slot: Number(rest[0]), field };
    return { field };
}

// Keys that are distinct YAML nodes but the same key once read (4 and "4", 4 and 4.0): the
// reader keeps one silently.
function duplicateKeys(map: YAMLMap, path: readonly string[], add: Add, lineOf: (n: unknown) => number): void {
    const seen = new Map<string, Pair>();
    // The config map's own keys are compared as Pulumi reads them, in stackYamlProblems.
    const isConfig = path.length === 1 && path[0] === "config";
    for (const pair of map.items) {
        const key = jsKey(pair.key);
        const first = seen.get(key);
        if (first && !isConfig) {
            const isClaims = path.length === 2 && path[0] === "config" && canonicalConfigKey(path[1]) === `${PROJECT}:claims`;
            const spelled = `once as ${describeNode(first.key)} (line ${lineOf(first.key)}), once as ${describeNode(pair.key)} (line ${lineOf(pair.key)})`;
            const at = path[0] === "config" && path.length > 1 ? locate([canonicalConfigKey(path[1]), ...path.slice(2), key]) : { field: "" };
            add(
                pair.key,
                at,
                isClaims
                    ? `slot ${key} is claimed twice (${spelled}); Pulumi keeps only one: keep one claim`
                    : `${at.field === "" ? `${[...path, key].join(".")} is ` : ""}given twice (${spelled}); keep one`,
            );
        } else {
            seen.set(key, pair);
        }
        if (isMap(pair.value)) duplicateKeys(pair.value, [...path, key], add, lineOf);
        if (isSeq(pair.value)) {
            for (const item of pair.value.items) if (isMap(item)) duplicateKeys(item, [...path, key], add, lineOf);
        }
    }
}

// A claim's key must be the slot number in plain digits: `4.0`, `+4` and `0x4` read as slot 4
// here and not necessarily there, and `012` is slot 10 to Pulumi but slot 12 here.
function claimKeys(claims: YAMLMap, add: Add): void {
    for (const pair of claims.items) {
        if (!isScalar(pair.key) || pair.key.type !== "PLAIN" || pair.key.tag) continue;
        const written = String(pair.key.source ?? pair.key.value);
        if (/^[1-9]\d*$/.test(written) || typeof pair.key.value !== "number") continue;
        const yaml11 = resolveYaml11(written);
        const here = String(pair.key.value);
        const there = yaml11.kind === "int" || yaml11.kind === "float" ? String(yaml11.value) : undefined;
        add(
            pair.key,
            { field: "claims" },
            there !== undefined && there !== here
                ? `the key ${written} is slot ${there} to Pulumi (YAML 1.1) but slot ${here} to YAML 1.2 tools; write the slot you mean in plain digits, quoted: "${there}" or "${here}"`
                : `the key ${written} reads as slot ${here}; write the slot number in plain digits, quoted: "${here}"`,
        );
    }
}

function walkValue(node: unknown, path: readonly string[], add: Add): void {
    if (isAlias(node)) return; // its anchor is checked where it is defined
    if (isScalar(node)) {
        scalarRule(node, path, add, false);
        return;
    }
    if (isMap(node)) {
        if (node.tag && node.tag !== "tag:yaml.org,2002:map") add(node, locate(path), `the tag ${shortTag(node.tag)} is not supported in a stack file; remove it`);
        // The claims map's own keys are slot numbers, judged by claimKeys.
        const slotKeys = path.length === 1 && path[0] === `${PROJECT}:claims`;
        for (const pair of node.items) {
            const key = jsKey(pair.key);
            if (isScalar(pair.key) && !slotKeys) scalarRule(pair.key, path, add, true);
            walkValue(pair.value, [...path, key], add);
        }
        return;
    }
    if (isSeq(node)) {
        if (node.tag && node.tag !== "tag:yaml.org,2002:seq") add(node, locate(path), `the tag ${shortTag(node.tag)} is not supported in a stack file; remove it`);
        node.items.forEach((item, i) => walkValue(item, [...path.slice(0, -1), `${path[path.length - 1]}[${i}]`], add));
    }
}

function shortTag(tag: string): string {
    return tag.startsWith("tag:yaml.org,2002:") ? `!!${tag.slice("tag:yaml.org,2002:".length)}` : tag;
}

function scalarRule(node: Scalar, path: readonly string[], add: Add, isKey: boolean): void {
    const at = locate(path);
    const what = isKey ? "key" : "value";
    if (node.tag && node.tag !== "tag:yaml.org,2002:str") {
        add(node, at, `the ${what} is tagged ${shortTag(node.tag)}, which the stack file does not support (Pulumi and YAML 1.2 tools decode it differently); write it as a plain or quoted string`);
        return;
    }
    if (typeof node.value === "number" && !Number.isFinite(node.value)) {
        add(node, at, `${String(node.source ?? node.value)} is not a finite number (${String(node.value)}); write a number, or quote it if it is text`);
        return;
    }
    if (node.type !== "PLAIN" || node.tag) return;
    const source = String(node.source ?? node.value);
    const yaml11 = resolveYaml11(source);
    if (sameReading(yaml11, node.value)) return;
    const quoted = `"${source.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    add(
        node,
        at,
        `the unquoted ${what} ${source} is ${showYaml11(yaml11, source)} to Pulumi (YAML 1.1) but ${showYaml12(node.value)} to YAML 1.2 tools; quote it (${quoted}) so both read the same`,
    );
}
