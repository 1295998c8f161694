import { expect } from "chai";
import { LineCounter, parseDocument } from "yaml";

import { formatProblem } from "../../components/validation";
import { StackFileError, parseStackConfig } from "../../offline/stackFile";
import { Yaml11Value, canonicalConfigKey, resolveYaml11, sameReading, stackYamlProblems } from "../../offline/stackYaml";

function problems(text: string): string[] {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
    return stackYamlProblems(doc, lines).map((p) => `${p.line}: ${formatProblem(p)}`);
}

describe("the YAML 1.1 reading of a plain scalar (gopkg.in/yaml.v2, as the Pulumi CLI reads stack files)", () => {
    const table: Array<[string, Yaml11Value]> = [
        ["012", { kind: "int", value: 10n }],
        ["0o12", { kind: "int", value: 10n }],
        ["0x1F", { kind: "int", value: 31n }],
        ["-0x1F", { kind: "int", value: -31n }],
        ["0b101", { kind: "int", value: 5n }],
        ["1_000", { kind: "int", value: 1000n }],
        ["08", { kind: "float", value: 8 }],
        ["4.0", { kind: "float", value: 4 }],
        [".5", { kind: "float", value: 0.5 }],
        ["1e3", { kind: "float", value: 1000 }],
        ["1e400", { kind: "str" }],
        ["18446744073709551615", { kind: "int", value: 18446744073709551615n }],
        ["18446744073709551616", { kind: "float", value: 18446744073709551616 }],
        ["yes", { kind: "bool", value: true }],
        ["On", { kind: "bool", value: true }],
        ["n", { kind: "bool", value: false }],
        ["OFF", { kind: "bool", value: false }],
        ["~", { kind: "null" }],
        ["<<", { kind: "merge" }],
        ["2026-11-23T10:30:00Z", { kind: "str" }],
        ["JOB-123", { kind: "str" }],
        ["feature/login", { kind: "str" }],
        ["0123456789abcdef0123456789abcdef01234567", { kind: "str" }],
    ];
    for (const [source, expected] of table) {
        it(`${source} → ${expected.kind}${"value" in expected ? ` ${String(expected.value)}` : ""}`, () => {
            expect(resolveYaml11(source)).to.deep.equal(expected);
        });
    }

    it("agrees with YAML 1.2 exactly where both read the same", () => {
        const read12 = (s: string): unknown => (parseDocument(`v: ${s}`).toJS() as { v: unknown }).v;
        for (const same of ["4", "0x1F", "0o17", "1e3", "true", "null", "~", "alice", "-7", "+4"]) {
            expect(sameReading(resolveYaml11(same), read12(same)), same).to.equal(true);
        }
        for (const differs of ["012", "010", "1_000", "0b11", "yes", "no", "on", "off", "y", "N", "<<"]) {
            expect(sameReading(resolveYaml11(differs), read12(differs)), differs).to.equal(false);
        }
    });
});

describe("stack file keys as Pulumi reads them", () => {
    it("maps a bare key and the legacy :config: form onto the project key", () => {
        expect(canonicalConfigKey("claims")).to.equal("staging-slots:claims");
        expect(canonicalConfigKey("staging-slots:config:claims")).to.equal("staging-slots:claims");
        expect(canonicalConfigKey("digitalocean:token")).to.equal("digitalocean:token");
    });

    it("refuses a key given twice in any map, naming both lines", () => {
        expect(problems("config:\n  staging-slots:appEnv:\n    1: a\n    \"1\": b\n")).to.deep.equal([
            '4: staging-slots:appEnv.1: given twice (once as 1 (line 3), once as "1" (line 4)); keep one',
        ]);
    });

    it("refuses explicit tags and numbers that are not finite, naming what they are", () => {
        const found = problems('config:\n  staging-slots:claims:\n    "4":\n      commit: !!binary aGVsbG8=\n      redeploy: .inf\n');
        expect(found).to.deep.equal([
            "4: staging-4 commit: the value is tagged !!binary, which the stack file does not support (Pulumi and YAML 1.2 tools decode it differently); write it as a plain or quoted string",
            "5: staging-4 redeploy: .inf is not a finite number (Infinity); write a number, or quote it if it is text",
        ]);
    });

    it("checks every config value, not only claims: slotCount 012 is 10 to Pulumi", () => {
        expect(problems("config:\n  staging-slots:slotCount: 012\n")).to.deep.equal([
            '2: staging-slots:slotCount: the unquoted value 012 is the number 10 to Pulumi (YAML 1.1) but the number 12 to YAML 1.2 tools; quote it ("012") so both read the same',
        ]);
    });

    it("accepts the committed stack file's style: plain slot numbers, quoted commits, flow lists", () => {
        expect(problems('config:\n  staging-slots:pools:\n    qa: [1, 2, 3]\n  staging-slots:claims:\n    4: {owner: alice, commit: "0123"}\n')).to.deep.equal([]);
    });

    it("parseStackConfig throws one StackFileError line per problem, each with the file and line", () => {
        try {
            parseStackConfig("config:\n  staging-slots:claims:\n    4: {owner: yes}\n    '4': {}\n", "Pulumi.x.yaml");
            expect.fail("no error");
        } catch (e) {
            expect(e).to.be.instanceOf(StackFileError);
            expect((e as StackFileError).lines).to.have.length(2);
            for (const line of (e as StackFileError).lines) expect(line).to.match(/^Pulumi\.x\.yaml:[34]: /);
        }
    });
});
