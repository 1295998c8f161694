import { expect } from "chai";
import * as fc from "fast-check";

import { Problem, branchProblem, formatProblem, isCidr, staleness, taskKey, validateSettings } from "../../components/validation";
import { NOW, claim } from "../helpers/config";
import { BadCase, errorsOf, values } from "../helpers/validation";

const c4 = (overrides: Record<string, unknown>) => values({ claims: { "4": claim(overrides) } });
const waiter = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    owner: "bob",
    task: "JOB-7",
    branch: "feature/search",
    purpose: "QA for PR #7",
    pool: "qa",
    requestedAt: "2026-11-23T11:00:00Z",
    ...overrides,
});
const long = (n: number) => "x".repeat(n);

// `says` is matched against the problem's message.
const BAD: BadCase[] = [
    { name: "slot id beyond the pool", raw: values({ claims: { "11": claim() } }), field: "claims.11", says: /use a slot number from 1 to 10/ },
    { name: "slot id with a leading zero", raw: values({ claims: { "04": claim() } }), field: "claims.04", says: /not a slot id/ },
    { name: "slot id that is a word", raw: values({ claims: { four: claim() } }), field: "claims.four", says: /not a slot id/ },
    { name: "claim that is not a map", raw: values({ claims: { "4": "alice" } }), slot: 4, field: "claims.4", says: /must be a map/ },
    { name: "unknown claim field", raw: c4({ ownr: "bob" }), slot: 4, field: "claims.4.ownr", says: /unknown claim field "ownr"/ },
    { name: "owner missing", raw: c4({ owner: undefined }), slot: 4, field: "claims.4.owner", says: /owner is required/ },
    { name: "owner of the wrong type", raw: c4({ owner: 42 }), slot: 4, field: "claims.4.owner", says: /must be a string/ },
    { name: "owner with a line break", raw: c4({ owner: "alice\nbob" }), slot: 4, field: "claims.4.owner", says: /control character or line break/ },
    { name: "owner with an escape character", raw: c4({ owner: "alice\u001b[31m" }), slot: 4, field: "claims.4.owner", says: /control character/ },
    { name: "task too long", raw: c4({ task: long(65) }), slot: 4, field: "claims.4.task", says: /65 characters long; the limit is 64/ },
    { name: "purpose absurdly long", raw: c4({ purpose: long(201) }), slot: 4, field: "claims.4.purpose", says: /the limit is 200/ },
    { name: "empty task", raw: c4({ task: "  " }), slot: 4, field: "claims.4.task", says: /must not be empty/ },
    { name: "commit missing", raw: c4({ commit: undefined }), slot: 4, field: "claims.4.commit", says: /commit is required/ },
    { name: "short commit", raw: c4({ commit: "0123456" }), slot: 4, field: "claims.4.commit", says: /full 40-character lowercase hex SHA/ },
    { name: "uppercase commit", raw: c4({ commit: "0123456789ABCDEF0123456789ABCDEF01234567" }), slot: 4, field: "claims.4.commit", says: /has upper-case letters; write it in lowercase/ },
    { name: "commit read as a YAML number", raw: c4({ commit: 1234567890123456789012345678901234567890 }), slot: 4, field: "claims.4.commit", says: /YAML number.*quoted string/ },
    { name: "branch with whitespace", raw: c4({ branch: "feature/my login" }), slot: 4, field: "claims.4.branch", says: /no whitespace/ },
    { name: "branch with a shell metacharacter", raw: c4({ branch: "feature/x;rm -rf" }), slot: 4, field: "claims.4.branch", says: /shell metacharacters/ },
    { name: "branch with command substitution", raw: c4({ branch: "$(touch /tmp/x)" }), slot: 4, field: "claims.4.branch", says: /shell metacharacters/ },
    { name: "branch with '..'", raw: c4({ branch: "feature/..x" }), slot: 4, field: "claims.4.branch", says: /'\.\.'/ },
    { name: "branch starting with '-'", raw: c4({ branch: "-f" }), slot: 4, field: "claims.4.branch", says: /must not start with '-'/ },
    { name: "branch ending in .lock", raw: c4({ branch: "feature/x.lock" }), slot: 4, field: "claims.4.branch", says: /\.lock/ },
    { name: "branch with '@{'", raw: c4({ branch: "feature@{1}" }), slot: 4, field: "claims.4.branch", says: /shell metacharacters|@\{/ },
    { name: "branch too long", raw: c4({ branch: `feature/${long(200)}` }), slot: 4, field: "claims.4.branch", says: /the limit is 200/ },
    { name: "claimedAt malformed", raw: c4({ claimedAt: "yesterday" }), slot: 4, field: "claims.4.claimedAt", says: /not a UTC time like/ },
    { name: "claimedAt not a real date", raw: c4({ claimedAt: "2026-02-30T10:00:00Z" }), slot: 4, field: "claims.4.claimedAt", says: /not a UTC time/ },
    { name: "claimedAt with an offset", raw: c4({ claimedAt: "2026-11-23T10:30:00+02:00" }), slot: 4, field: "claims.4.claimedAt", says: /not a UTC time/ },
    { name: "claimedAt in the future", raw: c4({ claimedAt: "2026-11-24T10:30:00Z" }), slot: 4, field: "claims.4.claimedAt", says: /in the future/ },
    { name: "unknown pool", raw: c4({ pool: "perf" }), slot: 4, field: "claims.4.pool", says: /pool "perf" is not defined; the pools are qa, staging/ },
    { name: "claim outside its pool", raw: values({ claims: { "10": claim() } }), slot: 10, field: "claims.10.pool", says: /slot 10 is not in pool "qa"/ },
    { name: "negative redeploy counter", raw: c4({ redeploy: -1 }), slot: 4, field: "claims.4.redeploy", says: /whole number 0 or more/ },
    { name: "redeploy counter past the safe integers", raw: c4({ redeploy: 2 ** 53 }), slot: 4, field: "claims.4.redeploy", says: /too large to count up from \(at most 9007199254740991\)/ },
    { name: "owner given as binary data names it so, not a map", raw: c4({ owner: new Uint8Array([104, 105]) }), slot: 4, field: "claims.4.owner", says: /must be a string, got binary data/ },
    { name: "redeploy that is not a finite number names the number", raw: c4({ redeploy: Infinity }), slot: 4, field: "claims.4.redeploy", says: /got the number Infinity/ },
    { name: "unknown stack key", raw: values({ claim: {} }), field: "claim", says: /unknown config key "staging-slots:claim"/ },
    { name: "domain missing", raw: values({ domain: undefined }), field: "domain", says: /domain is required/ },
    { name: "domain not a DNS name", raw: values({ domain: "Just Apply" }), field: "domain", says: /not a lowercase DNS name/ },
    { name: "slot count too large", raw: values({ slotCount: 101 }), field: "slotCount", says: /from 1 to 100/ },
    { name: "SSH open to the world", raw: values({ adminCidrs: ["0.0.0.0/0"] }), field: "adminCidrs[0]", says: /whole internet/ },
    { name: "adminCidrs missing", raw: values({ adminCidrs: undefined }), field: "adminCidrs", says: /adminCidrs is required/ },
    { name: "adminCidrs not a CIDR", raw: values({ adminCidrs: ["203.0.113.0"] }), field: "adminCidrs[0]", says: /not a CIDR block/ },
    { name: "repository with shell characters", raw: values({ repository: "git@github.com:org/repo.git;reboot" }), field: "repository", says: /must be a git URL/ },
    { name: "repository that git would read as an option", raw: values({ repository: "-uhack@host:org/repo.git" }), field: "repository", says: /must be a git URL/ },
    { name: "pool naming a slot that does not exist", raw: values({ pools: { qa: [1, 11] } }), field: "pools.qa", says: /not a slot of this pool of 10/ },
    { name: "deploy key secret missing", raw: values({ deployPrivateKey: undefined }), field: "deployPrivateKey", says: /pulumi config set --secret deployPrivateKey/ },
    { name: "existing postgres without its password", raw: values({ postgres: { mode: "existing", host: "db.example.com", user: "admin" } }), field: "postgresPassword", says: /pulumi config set --secret postgresPassword/ },
    { name: "postgres sslmode disable", raw: values({ postgres: { mode: "existing", host: "db.example.com", user: "admin", sslmode: "disable" } }), field: "postgres.sslmode", says: /never disable/ },
    { name: "app setting with a zero-width space", raw: values({ appEnv: { GREETING: "hi\u200Bthere" } }), field: "appEnv.GREETING", says: /^contains the invisible or bidirectional control character U\+200B; retype it without that character$/ },
    { name: "app setting with a right-to-left override", raw: values({ appEnv: { GREETING: "\u202Eereht ih" } }), field: "appEnv.GREETING", says: /^contains the invisible or bidirectional control character U\+202E; retype it without that character$/ },
    { name: "app setting with a quote the env file cannot carry", raw: values({ appEnv: { GREETING: "it's" } }), field: "appEnv.GREETING", says: /must not contain ' or \\/ },
    { name: "app setting overriding a slot's own", raw: values({ appEnv: { DATABASE_URL: "postgres://x" } }), field: "appEnv.DATABASE_URL", says: /set per slot/ },
    { name: "expiresAt that is not a time", raw: c4({ expiresAt: "tomorrow" }), slot: 4, field: "claims.4.expiresAt", says: /not a UTC time like/ },
    { name: "expiresAt before claimedAt", raw: c4({ expiresAt: "2026-11-23T10:00:00Z" }), slot: 4, field: "claims.4.expiresAt", says: /not after claimedAt 2026-11-23T10:30:00Z/ },
    { name: "resetDatabase that is not a counter", raw: c4({ resetDatabase: "yes" }), slot: 4, field: "claims.4.resetDatabase", says: /resetDatabase must be a whole number 0 or more/ },
    { name: "waitlist that is a map", raw: values({ waitlist: { a: 1 } }), field: "waitlist", says: /must be a list of entries/ },
    { name: "waitlist entry without a task", raw: values({ waitlist: [waiter({ task: undefined })] }), field: "waitlist[0].task", says: /task is required/ },
    { name: "waitlist entry with a bad branch", raw: values({ waitlist: [waiter({ branch: "a b" })] }), field: "waitlist[0].branch", says: /no whitespace/ },
    { name: "waitlist entry with a short commit", raw: values({ waitlist: [waiter({ commit: "abc123" })] }), field: "waitlist[0].commit", says: /full 40-character/ },
    { name: "waitlist entry with an unknown pool", raw: values({ waitlist: [waiter({ pool: "gpu" })] }), field: "waitlist[0].pool", says: /pool "gpu" is not defined; the pools are qa, staging/ },
    { name: "waitlist entry queued in the future", raw: values({ waitlist: [waiter({ requestedAt: "2026-12-01T00:00:00Z" })] }), field: "waitlist[0].requestedAt", says: /in the future/ },
    { name: "waitlist entry with an unknown field", raw: values({ waitlist: [waiter({ slot: 4 })] }), field: "waitlist[0].slot", says: /unknown waitlist field "slot"/ },
    { name: "a task that holds a slot and waits", raw: values({ claims: { "4": claim() }, waitlist: [waiter({ task: "JOB-123" })] }), field: "waitlist[0].task", says: /holds staging-4 and also waits.*slots unwait --task JOB-123/ },
    { name: "a task that waits twice", raw: values({ waitlist: [waiter(), waiter({ owner: "carol" })] }), field: "waitlist[1].task", says: /waits twice \(entries 1 and 2\)/ },
    { name: "maxClaimHours of zero", raw: values({ maxClaimHours: 0 }), field: "maxClaimHours", says: /whole number from 1/ },
    { name: "databaseOnNewTask that is neither reset nor keep", raw: values({ databaseOnNewTask: "wipe" }), field: "databaseOnNewTask", says: /must be reset or keep/ },
    { name: "volumesOnNewTask that is neither reset nor keep", raw: values({ volumesOnNewTask: true }), field: "volumesOnNewTask", says: /must be reset or keep/ },
    { name: "seedCommand without a service", raw: values({ seedCommand: { args: ["seed"] } }), field: "seedCommand.service", says: /service is required/ },
    { name: "seedCommand service that is not a name", raw: values({ seedCommand: { service: "app; rm -rf /" } }), field: "seedCommand.service", says: /not a compose service name/ },
    { name: "seedCommand argument with a line break", raw: values({ seedCommand: { service: "app", args: ["a\nb"] } }), field: "seedCommand.args[0]", says: /one line/ },
    { name: "pruneAfterHours of zero", raw: values({ pruneAfterHours: 0 }), field: "pruneAfterHours", says: /whole number from 1/ },
    { name: "minFreeDiskGb that is negative", raw: values({ minFreeDiskGb: -1 }), field: "minFreeDiskGb", says: /whole number from 0/ },
];

describe("config validation", () => {
    it("accepts the base config with no claims and a valid claim", () => {
        expect(errorsOf(values())).to.deep.equal([]);
        const result = validateSettings(c4({}), NOW);
        expect(result.errors).to.deep.equal([]);
        expect(result.settings?.claims.get(4)).to.deep.equal({ ...claim(), pool: "qa", redeploy: 0, resetDatabase: 0 });
    });

    for (const bad of BAD) {
        it(`refuses ${bad.name}, naming ${bad.slot ? `staging-${bad.slot} and ` : ""}${bad.field}`, () => {
            const result = validateSettings(bad.raw, NOW);
            expect(result.settings, "no settings come out of a bad config").to.equal(undefined);
            const match = result.errors.find((e) => e.field === bad.field);
            expect(match, `an error on ${bad.field}; got ${JSON.stringify(result.errors)}`).to.not.equal(undefined);
            expect(match?.slot).to.equal(bad.slot);
            expect(match?.message).to.match(bad.says);
            if (bad.slot) expect(formatProblem(match as Problem)).to.match(new RegExp(`^staging-${bad.slot}[ :]`));
            else expect(formatProblem(match as Problem)).to.match(new RegExp(`^staging-slots:${bad.field.replace(/[[\]().]/g, "\\$&")}: `));
        });
    }

    it("refuses two slots for one task, naming both slots", () => {
        const raw = values({ claims: { "2": claim(), "5": claim({ owner: "bob" }) } });
        const errors = errorsOf(raw).filter((e) => e.field.endsWith(".task"));
        expect(errors.map((e) => e.slot)).to.deep.equal([2, 5]);
        expect(formatProblem(errors[0])).to.equal("staging-2 task: task JOB-123 also holds staging-5; one slot per task: release the others");
    });

    it("refuses one task in two slots even when one of the claims has other problems, in any case", () => {
        const raw = values({ claims: { "2": claim({ commit: "abc" }), "5": claim({ task: "job-123", owner: "bob" }) } });
        expect(errorsOf(raw).map(formatProblem)).to.deep.equal([
            'staging-2 commit: commit "abc" is not a full 40-character lowercase hex SHA; use the full SHA (git rev-parse <branch>)',
            'staging-2 task: task JOB-123 also holds staging-5 (as "job-123"); one slot per task: release the others',
            'staging-5 task: task job-123 also holds staging-2 (as "JOB-123"); one slot per task: release the others',
        ]);
    });

    it("ends a claim at its expiresAt: quiet until then, a warning after; a note without an end is open-ended", () => {
        const until = c4({ claimedAt: "2026-11-20T11:00:00Z", expiresAt: "2026-11-24T00:00:00Z" });
        const quiet = validateSettings(until, NOW);
        expect(quiet.errors).to.deep.equal([]);
        expect(quiet.warnings).to.deep.equal([]);
        expect(quiet.settings?.claims.get(4)?.expiresAt).to.equal("2026-11-24T00:00:00Z");
        const after = validateSettings(until, new Date("2026-11-24T00:00:01Z"));
        expect(after.warnings.map(formatProblem)).to.deep.equal([
            "staging-4 expiresAt: claimed by alice for JOB-123, expired at 2026-11-24T00:00:00Z; release it (slots release 4) or extend it (slots extend 4 --until DATE)",
        ]);
        const noted = { claimedAt: "2026-11-20T11:00:00Z", longRunning: "soak" };
        const table: [Parameters<typeof staleness>[0], string][] = [
            [{ claimedAt: "2026-11-23T11:00:00Z" }, "quiet"],
            [{ claimedAt: "2026-11-22T11:00:00Z" }, "stale"],
            [noted, "open-ended"],
            [{ ...noted, expiresAt: "2026-11-23T12:00:00Z" }, "quiet"],
            [{ ...noted, expiresAt: "2026-11-23T11:59:59Z" }, "expired"],
            [{ claimedAt: "2026-11-20T11:00:00Z", expiresAt: "2026-12-01T00:00:00Z" }, "quiet"],
        ];
        for (const [c, want] of table) expect(staleness(c, NOW), JSON.stringify(c)).to.equal(want);
    });

    it("says how to fix an upper-case commit", () => {
        const upper = "0123456789ABCDEF0123456789abcdef01234567";
        expect(errorsOf(c4({ commit: upper })).map(formatProblem)).to.deep.equal([
            `staging-4 commit: commit "${upper}" has upper-case letters; write it in lowercase: "${upper.toLowerCase()}"`,
        ]);
    });

    it("refuses an expiresAt that is not a UTC time after the claim", () => {
        const cases: [unknown, RegExp][] = [
            ["2026-12-01", /staging-4 expiresAt: expiresAt "2026-12-01" is not a UTC time like "2026-12-01T00:00:00Z"; .*slots extend 4 --until 2026-12-01/],
            [20261201, /staging-4 expiresAt: expiresAt number 20261201 is not a UTC time/],
            ["2026-11-23T10:30:00Z", /staging-4 expiresAt: expiresAt 2026-11-23T10:30:00Z is not after claimedAt 2026-11-23T10:30:00Z/],
        ];
        for (const [expiresAt, says] of cases) {
            expect(errorsOf(c4({ expiresAt })).map(formatProblem).join("\n")).to.match(says);
        }
    });

    it("reports every problem at once", () => {
        const raw = values({
            slotCount: 0,
            claims: { "4": claim({ commit: "abc", branch: "a b" }), "6": claim({ task: "JOB-9", owner: "" }) },
            adminCidrs: ["0.0.0.0/0"],
        });
        const fields = errorsOf(raw).map((e) => e.field);
        expect(fields).to.include.members(["slotCount", "claims.4.commit", "claims.4.branch", "claims.6.owner", "adminCidrs[0]"]);
    });

    it("lets a stack reserve slots 1-3 for CI/CD, as the earlier seed did", () => {
        const pools = { ci: [1, 2, 3], qa: [4, 5, 6, 7, 8, 9], staging: [10] };
        const refused = errorsOf(values({ pools, claims: { "2": claim() } }));
        expect(refused.map(formatProblem)).to.deep.equal([
            'staging-2 pool: slot 2 is not in pool "qa" (slots 4, 5, 6, 7, 8, 9); claim one of those slots or set pool to one that holds slot 2',
        ]);
        expect(errorsOf(values({ pools, claims: { "2": claim({ pool: "ci" }) } }))).to.deep.equal([]);
    });

    it("warns, without failing, about a claim older than 24 hours with no long-running note", () => {
        const stale = validateSettings(c4({ claimedAt: "2026-11-22T11:00:00Z" }), NOW);
        expect(stale.errors).to.deep.equal([]);
        expect(stale.warnings.map(formatProblem)).to.deep.equal([
            'staging-4 longRunning: claimed by alice for JOB-123 at 2026-11-22T11:00:00Z, over 24 hours ago, with no longRunning note; release it (slots release 4) or add one (slots extend 4 --long-running "why")',
        ]);
        const noted = validateSettings(c4({ claimedAt: "2026-11-22T11:00:00Z", longRunning: "soak test until Friday" }), NOW);
        expect(noted.warnings).to.deep.equal([]);
        const fresh = validateSettings(c4({ claimedAt: "2026-11-22T12:30:00Z" }), NOW);
        expect(fresh.warnings).to.deep.equal([]);
    });

    it("reads the waitlist in order, with the pool defaulted and the commit optional", () => {
        const result = validateSettings(values({ waitlist: [waiter({ pool: undefined }), waiter({ task: "JOB-8", pool: "staging", commit: "0123456789abcdef0123456789abcdef01234567" })] }), NOW);
        expect(result.errors).to.deep.equal([]);
        expect(result.settings?.waitlist).to.deep.equal([
            { owner: "bob", task: "JOB-7", branch: "feature/search", purpose: "QA for PR #7", pool: "qa", requestedAt: "2026-11-23T11:00:00Z" },
            { owner: "bob", task: "JOB-8", branch: "feature/search", commit: "0123456789abcdef0123456789abcdef01234567", purpose: "QA for PR #7", pool: "staging", requestedAt: "2026-11-23T11:00:00Z" },
        ]);
    });

    it("defaults the data policy, pruning and disk floor, and reads them when given", () => {
        const defaults = validateSettings(values(), NOW).settings;
        expect(defaults).to.include({ databaseOnNewTask: "reset", volumesOnNewTask: "reset", pruneAfterHours: 72, minFreeDiskGb: 5 });
        expect(defaults?.maxClaimHours).to.equal(undefined);
        expect(defaults?.seedCommand).to.equal(undefined);
        const given = validateSettings(
            values({ databaseOnNewTask: "keep", volumesOnNewTask: "keep", pruneAfterHours: 24, minFreeDiskGb: 0, maxClaimHours: 72, seedCommand: { service: "app", args: ["python", "-m", "seed"] } }),
            NOW,
        ).settings;
        expect(given).to.deep.include({ databaseOnNewTask: "keep", volumesOnNewTask: "keep", pruneAfterHours: 24, minFreeDiskGb: 0, maxClaimHours: 72, seedCommand: { service: "app", args: ["python", "-m", "seed"] } });
    });

    it("never throws, whatever the stack file holds", () => {
        fc.assert(
            fc.property(fc.dictionary(fc.constantFrom("domain", "claims", "pools", "slotCount", "adminCidrs", "postgres", "appEnv", "waitlist", "seedCommand", "x"), fc.anything()), (raw) => {
                const result = validateSettings(raw, NOW);
                expect(result.settings === undefined).to.equal(result.errors.length > 0);
            }),
            { numRuns: 300 },
        );
    });
});

describe("branch names", () => {
    const ok = ["main", "feature/login", "fix/JOB-123_crash", "release/1.2.3", "user@host/x", "a+b"];
    const bad = ["", "-x", "a..b", "a/", "/a", "a//b", "a.", ".hidden", "x/.y", "a.lock", "HEAD", "@", "a b", "a\tb", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "a;b", "a|b", "a&b", "a$b", "a`b", "a'b", 'a"b', "a(b)", "a<b", "a>b", "a#b"];
    for (const b of ok) it(`accepts ${JSON.stringify(b)}`, () => expect(branchProblem(b)).to.equal(undefined));
    for (const b of bad) it(`refuses ${JSON.stringify(b)}`, () => expect(branchProblem(b)).to.be.a("string"));
});

describe("CIDR blocks", () => {
    for (const ok of ["203.0.113.0/24", "10.0.0.1/32", "2001:db8::/32", "::1/128", "2001:db8:0:0:0:0:0:1/128"]) {
        it(`accepts ${ok}`, () => expect(isCidr(ok)).to.equal(true));
    }
    for (const bad of ["203.0.113.0", "256.0.0.0/8", "1.2.3.4/33", "01.2.3.4/8", "2001:db8::1::/64", "::/129", "x/8"]) {
        it(`refuses ${bad}`, () => expect(isCidr(bad)).to.equal(false));
    }
});

describe("adminCidrs, parsed", () => {
    const judge = (adminCidrs: unknown[]) => validateSettings(values({ adminCidrs }), NOW);
    const refused: Array<[string, unknown[], RegExp]> = [
        ["0.0.0.0/00, a spelling of the whole IPv4 space", ["0.0.0.0/00"], /"0\.0\.0\.0\/00" is the whole IPv4 address space/],
        ["::/00, a spelling of the whole IPv6 space", ["::/00"], /"::\/00" is the whole IPv6 address space/],
        ["two halves that add up to the whole IPv4 space", ["0.0.0.0/1", "128.0.0.0/1"], /0\.0\.0\.0\/1, 128\.0\.0\.0\/1 together cover the whole IPv4 address space/],
        ["IPv6 halves that add up to the whole space", ["::/1", "8000::/1"], /together cover the whole IPv6 address space/],
        ["four quarters, out of order, that add up to the whole IPv4 space", ["192.0.0.0/2", "0.0.0.0/2", "128.0.0.0/2", "64.0.0.0/2"], /together cover the whole IPv4/],
        ["an address with bits beyond its prefix", ["10.0.0.1/8"], /"10\.0\.0\.1\/8" has address bits set beyond \/8; write the network 10\.0\.0\.0\/8, or \/32 for that one host/],
        ["an IPv6 block not in canonical form", ["2001:DB8::/32"], /not in canonical form; write 2001:db8::\/32/],
        ["a leading zero a parser could read as octal", ["010.0.0.0/8"], /not a CIDR block/],
        ["a zone", ["fe80::1%eth0/64"], /not a CIDR block/],
        ["the same block twice", ["203.0.113.0/24", "203.0.113.0/24"], /listed twice \(also adminCidrs\[0\]\)/],
    ];
    for (const [name, cidrs, says] of refused) {
        it(`refuses ${name}`, () => {
            const r = judge(cidrs);
            expect(r.settings).to.equal(undefined);
            expect(r.errors.map((e) => e.message).join("\n")).to.match(says);
        });
    }
    it("accepts halves that leave a gap, and warns about prefixes wider than /16 or /32", () => {
        const r = judge(["0.0.0.0/2", "128.0.0.0/1", "2001::/16"]);
        expect(r.errors).to.deep.equal([]);
        expect(r.warnings.map((w) => w.field)).to.deep.equal(["adminCidrs[0]", "adminCidrs[1]", "adminCidrs[2]"]);
        expect(r.warnings[0].message).to.match(/"0\.0\.0\.0\/2" lets 1,073,741,824 addresses reach SSH and the database; prefer a \/16 or narrower/);
    });
    it("accepts narrow canonical blocks without a warning", () => {
        const r = judge(["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1::/48"]);
        expect(r.errors).to.deep.equal([]);
        expect(r.warnings).to.deep.equal([]);
        expect(r.settings?.adminCidrs).to.deep.equal(["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1::/48"]);
    });
});

describe("the data policy against an existing instance's TLS", () => {
    const existing = (sslmode: string) => ({ mode: "existing", host: "db.example.com", user: "admin", sslmode });
    const cases: ReadonlyArray<[string, Record<string, unknown>, boolean]> = [
        ["verify-full, databaseOnNewTask reset by default", { postgres: existing("verify-full") }, true],
        ["verify-ca, databaseOnNewTask reset", { postgres: existing("verify-ca"), databaseOnNewTask: "reset" }, true],
        ["verify-full, databaseOnNewTask keep", { postgres: existing("verify-full"), databaseOnNewTask: "keep" }, false],
        ["require, databaseOnNewTask reset", { postgres: existing("require") }, false],
        ["a managed cluster with appSslmode verify-full (its CA reaches the droplet)", { postgres: { mode: "managed", appSslmode: "verify-full" } }, false],
    ];
    for (const [name, overrides, warned] of cases) {
        it(`${name}: ${warned ? "warns that every reset would be refused, with both fixes" : "no warning"}`, () => {
            const r = validateSettings(values({ ...overrides, postgresPassword: "[secret]" }), NOW);
            expect(r.errors).to.deep.equal([]);
            const warnings = r.warnings.filter((w) => w.field === "databaseOnNewTask");
            if (!warned) {
                expect(warnings).to.deep.equal([]);
                return;
            }
            expect(warnings).to.have.length(1);
            expect(warnings[0].message).to.match(/^postgres\.sslmode is verify-(ca|full) on an existing instance, whose CA the droplet does not have, so the deployment refuses every database reset .*; set databaseOnNewTask: keep \(and bump no claim's resetDatabase\), or postgres\.sslmode: require, in a host change of its own$/);
        });
    }
});

describe("one slot per task, for real", () => {
    const two = (a: string, b: string) => values({ claims: { "4": claim({ task: a }), "5": claim({ task: b, owner: "bob" }) } });
    const spellings: Array<[string, string]> = [
        ["JOB-123", "job-123"],
        ["JOB-123", "JOB-123 "],
        ["JOB-123", "ＪＯＢ-１２３"],
    ];
    for (const [a, b] of spellings) {
        it(`${JSON.stringify(a)} and ${JSON.stringify(b)} are one task`, () => {
            const r = validateSettings(two(a, b), NOW);
            expect(r.errors.map((e) => e.field)).to.include.members(["claims.4.task", "claims.5.task"]);
            const slot4 = r.errors.find((e) => e.field === "claims.4.task" && /also holds/.test(e.message));
            expect(slot4?.message).to.equal(`task ${a} also holds staging-5 (as ${JSON.stringify(b)}); one slot per task: release the others`);
        });
    }
    it("compares in the folded form: NFKC, trimmed, case-folded", () => {
        expect(taskKey(" ＪＯＢ-１２３ ")).to.equal("job-123");
        expect(taskKey("STRASSE-1")).to.equal(taskKey("straße-1"));
    });

    const invisible: Array<[string, string]> = [
        ["a zero-width space", "\u200B"],
        ["a right-to-left override", "\u202E"],
        ["a left-to-right isolate", "\u2066"],
        ["a byte order mark", "\uFEFF"],
        ["a Hangul filler", "\u3164"],
        ["a soft hyphen", "\u00AD"],
    ];
    for (const field of ["owner", "task", "purpose", "longRunning"]) {
        for (const [name, ch] of invisible) {
            it(`refuses ${name} in ${field}`, () => {
                const text = field === "task" ? `JOB-1${ch}23` : `a${ch}b`;
                const errs = errorsOf(c4({ [field]: text }));
                const code = `U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0")}`;
                expect(errs.map((e) => `${e.field}: ${e.message}`)).to.include(`claims.4.${field}: ${field} contains the invisible or bidirectional control character ${code}; retype it without that character`);
            });
        }
    }
    it("refuses invisible characters in stack-level free text too (projectName)", () => {
        expect(errorsOf(values({ projectName: "job\u200Bsearch" })).map((e) => e.field)).to.deep.equal(["projectName"]);
    });

    it("the default taskPattern refuses a look-alike in Cyrillic, naming the letter", () => {
        const errs = errorsOf(c4({ task: "\u0408\u041E\u0412-123" }));
        expect(errs).to.have.length(1);
        expect(errs[0].message).to.match(/^task "ЈОВ-123" does not match the taskPattern \^\(\?:\[A-Za-z\]\[A-Za-z0-9\]\*-\[0-9\]\+\)\$ \(a tracker key such as JOB-123\); it contains "Ј" \(U\+0408\), which is not an ASCII letter/);
    });
    it("the default taskPattern refuses a task that is not a tracker key", () => {
        expect(errorsOf(c4({ task: "fix the login" })).map((e) => e.field)).to.deep.equal(["claims.4.task"]);
    });
    it("a stack's own taskPattern replaces the default, and a broken one is named", () => {
        expect(errorsOf(c4({ task: "gh-42" }))).to.deep.equal([]);
        expect(errorsOf({ ...c4({ task: "GH#42" }), taskPattern: "GH#[0-9]+" })).to.deep.equal([]);
        expect(errorsOf({ ...c4({ task: "JOB-1" }), taskPattern: "GH#[0-9]+" }).map((e) => e.field)).to.deep.equal(["claims.4.task"]);
        expect(errorsOf({ ...c4({}), taskPattern: "(" }).map((e) => `${e.field}: ${e.message.split(" (")[0]}`)).to.deep.equal(["taskPattern: is not a valid regular expression"]);
    });
});
