// Edits through the Document API, written back so that only the touched claim's lines change, on
// stack files written in styles the library's printer would otherwise normalise.

import { expect } from "chai";
import { parseDocument } from "yaml";

import { insertClaim, removeClaim, renderEdit, setClaimField } from "../../cli/yamlEdit";

const CLAIM = { owner: "alice", task: "JOB-1", branch: "feature/login", commit: "0123456789abcdef0123456789abcdef01234567", claimedAt: "2026-11-23T10:00:00Z" };

const EXISTING = `    "3":
      owner: bob    # the QA lead
      task: JOB-3
      branch: fix/x
      commit: "1111111111111111111111111111111111111111"
      claimedAt: "2026-11-23T09:00:00Z"

    # soak test, do not touch
    "7":
      owner: carol
      task: JOB-7
      branch: soak
      commit: "2222222222222222222222222222222222222222"
      claimedAt: "2026-11-20T09:00:00Z"
      longRunning: >-
        soak test
        until Friday
`;

const SOURCES: [string, string][] = [
    ["an empty flow map", "config:\n  staging-slots:domain: justapply.net\n  staging-slots:claims: {}\n"],
    ["an empty flow map and a comment after it", "config:\n  staging-slots:claims: {}\n  # the end\n  staging-slots:domain: justapply.net\n"],
    [
        "hand-formatted neighbours: blank lines, spaced comments, flow lists, a folded scalar",
        "# top\nconfig:\n\n\n  staging-slots:pools:   # who may take what\n    qa: [ 1,2,3 ]\n  staging-slots:appEnv:\n    MOTD: >-\n      hello\n      world\n  staging-slots:claims:\n" + EXISTING + "  staging-slots:domain:    justapply.net\n",
    ],
    ["four-space indentation", "config:\n    staging-slots:domain: justapply.net\n    staging-slots:claims:\n        \"9\":\n            owner: dan\n            task: JOB-9\n"],
    ["claims keyed by bare numbers", "config:\n  staging-slots:claims:\n    2:\n      owner: eve\n    8:\n      owner: fay\n"],
    ["no trailing newline", "config:\n  staging-slots:claims:\n    \"3\":\n      owner: bob"],
];

function edited(source: string, edit: (doc: ReturnType<typeof parseDocument>) => void, slot: number): string {
    const doc = parseDocument(source);
    edit(doc);
    const text = renderEdit(source, doc, slot);
    expect(parseDocument(text).toJS(), "the text reads back as the edited document").to.deep.equal(doc.toJS());
    return text;
}

describe("yamlEdit", () => {
    for (const [style, source] of SOURCES) {
        for (const slot of [1, 5, 10]) {
            it(`${style}: claim on slot ${slot} keeps every other line, and release restores the file`, () => {
                const claimed = edited(source, (d) => insertClaim(d, slot, CLAIM), slot);
                const lines = claimed.split("\n");
                for (const line of source.split("\n").filter((l) => !/claims: \{\}/.test(l))) expect(lines).to.include(line);
                expect(claimed).to.contain(`"${slot}":`);
                expect(claimed).to.contain(`commit: "${CLAIM.commit}"`);
                const released = edited(claimed, (d) => removeClaim(d, slot), slot);
                // A file without a final newline gains one when a claim was appended after its last line.
                if (source.endsWith("\n")) expect(released).to.equal(source);
                else expect(released.replace(/\n$/, "")).to.equal(source);
            });
        }
    }

    it("a field edit changes only the lines of that claim", () => {
        const source = "config:\n  staging-slots:claims:\n" + EXISTING;
        const text = edited(source, (d) => setClaimField(d, 7, "redeploy", 1), 7);
        const before = source.split("\n");
        const after = text.split("\n");
        expect(after.slice(0, 10)).to.deep.equal(before.slice(0, 10));
        expect(after).to.include("      redeploy: 1");
        expect(after).to.include("    # soak test, do not touch");
    });

    it("inserts a new field in claim field order", () => {
        const source = "config:\n  staging-slots:claims:\n    \"3\":\n      owner: bob\n      task: T\n      claimedAt: \"2026-11-23T09:00:00Z\"\n";
        const text = edited(source, (d) => setClaimField(d, 3, "purpose", "QA"), 3);
        expect(text).to.equal("config:\n  staging-slots:claims:\n    \"3\":\n      owner: bob\n      task: T\n      purpose: QA\n      claimedAt: \"2026-11-23T09:00:00Z\"\n");
    });

    it("creates the claims key when the file has none", () => {
        const text = edited("config:\n  staging-slots:domain: justapply.net\n", (d) => insertClaim(d, 2, CLAIM), 2);
        expect(text.startsWith("config:\n  staging-slots:domain: justapply.net\n  staging-slots:claims:\n    \"2\":\n      owner: alice\n")).to.equal(true);
    });
});
