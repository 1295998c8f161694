import { expect } from "chai";

import { imageResourceName, missingCheckoutsMessage, registryAuth, validateImages } from "../../components/images";
import { Problem, formatProblem } from "../../components/validation";
import { canonicalJson, diffEvaluations } from "../../offline/planDiff";
import { renderPlan } from "../../offline/planText";
import { Evaluation, RecordedResource, evaluate } from "../../offline/recorder";
import { NOW, SECRETS, baseValues, claim, engineConfig } from "../helpers/config";
import { errorsOf, values } from "../helpers/validation";

const A = "0123456789abcdef0123456789abcdef01234567";
const B = "fedcba9876543210fedcba9876543210fedcba98";
const IMAGES = { "campaign-ui": { context: "." }, airflow: { context: "airflow", target: "prod", args: { PYTHON: "3.12" } } };
const IMAGE_TYPE = "docker:index/image:Image";

async function run(values: Record<string, unknown>): Promise<Evaluation> {
    const ev = await evaluate(engineConfig({ ...baseValues(), images: IMAGES, ...values }, { deployPrivateKey: SECRETS.deployPrivateKey }), { now: NOW });
    expect(ev.error, ev.error?.message).to.equal(undefined);
    return ev;
}

function named(ev: Evaluation, name: string): RecordedResource {
    const r = ev.resources.find((x) => x.name === name);
    expect(r, name).to.not.equal(undefined);
    return r as RecordedResource;
}

function changes(a: Evaluation, b: Evaluation): string[] {
    return diffEvaluations(a.resources, b.resources).map((c) => `${c.op} ${c.name}`);
}

const pins = (ev: Evaluation, slot: number) =>
    String(named(ev, `staging-${slot}-deploy`).inputs.stdin).split("\n").filter((l) => l.startsWith("IMAGE="));

describe("images built once, under mocks", () => {
    let two: Evaluation;
    before(async () => {
        two = await run({ claims: { "4": claim(), "6": claim({ task: "JOB-6" }), "7": claim({ task: "JOB-7", commit: B }) } });
    });

    it("builds one image per service and claimed commit: slots on one commit share it", () => {
        expect(two.resources.filter((r) => r.type === IMAGE_TYPE).map((r) => r.name).sort()).to.deep.equal(
            [imageResourceName("airflow", A), imageResourceName("airflow", B), imageResourceName("campaign-ui", A), imageResourceName("campaign-ui", B)].sort(),
        );
        const image = named(two, imageResourceName("airflow", A));
        expect(image.parent).to.equal("urn:pulumi:staging::staging-slots::jobsearch:staging:AppImages::staging-images");
        expect(image.inputs).to.deep.include({ imageName: `registry.digitalocean.com/job-search-staging/airflow:${A}` });
        expect(image.inputs.build).to.deep.equal({
            context: `.slots-cache/${A}/airflow`,
            dockerfile: `.slots-cache/${A}/airflow/Dockerfile`,
            target: "prod",
            args: { PYTHON: "3.12", APP_COMMIT: A, BUILDKIT_INLINE_CACHE: "1" },
            cacheFrom: { images: ["registry.digitalocean.com/job-search-staging/airflow:buildcache"] },
            platform: "linux/amd64",
        });
        expect(named(two, imageResourceName("campaign-ui", A)).inputs.build).to.deep.include({ context: `.slots-cache/${A}`, dockerfile: `.slots-cache/${A}/Dockerfile` });
        // Pushed with the write token, which never prints.
        expect(image.redacted.registry).to.equal("[secret]");
        expect(image.inputs.registry).to.deep.equal({ server: "registry.digitalocean.com", username: "mock-registry-user-staging-images-push", password: "mock-registry-token-staging-images-push" });
    });

    it("hands each deployment the digests of its own commit's images, and the same to slots on one commit", () => {
        expect(pins(two, 4)).to.have.length(2);
        expect(pins(two, 4)[0]).to.match(/^IMAGE=airflow=registry\.digitalocean\.com\/job-search-staging\/airflow@sha256:[0-9a-f]{64}$/);
        expect(pins(two, 6)).to.deep.equal(pins(two, 4));
        expect(pins(two, 7)).to.not.deep.equal(pins(two, 4));
    });

    it("creates the registry and two tokens: write for the build, read-only for the droplets, logged in over SSH", () => {
        expect(named(two, "staging-images-registry").inputs).to.deep.equal({ name: "job-search-staging", subscriptionTierSlug: "basic", region: "nyc3" });
        expect(named(two, "staging-images-push").inputs).to.deep.equal({ registryName: "job-search-staging", write: true });
        expect(named(two, "staging-images-pull").inputs).to.deep.equal({ registryName: "job-search-staging", write: false });
        const login = named(two, "staging-registry-login");
        expect(login.host).to.equal("staging");
        expect(login.redacted.stdin).to.equal("[secret]");
        expect(JSON.parse(String(login.inputs.stdin))).to.have.nested.property("auths.registry\\.digitalocean\\.com.auth");
        expect(Buffer.from((JSON.parse(String(login.inputs.stdin)) as { auths: Record<string, { auth: string }> }).auths["registry.digitalocean.com"].auth, "base64").toString()).to.match(/-pull:/);
        expect(`${String(login.inputs.create)} ${String(login.inputs.delete)}`).to.not.include("mock-registry");
        // Never in user data: the droplet is the same with or without images.
        expect(named(two, "staging-droplet").inputs.userData).to.be.a("string").and.not.include("docker/config.json");
    });

    it("uses an existing registry by name without creating one", async () => {
        const ev = await run({ registry: { server: "registry.digitalocean.com", name: "justapply" }, claims: { "4": claim() } });
        expect(ev.resources.filter((r) => r.type === "digitalocean:index/containerRegistry:ContainerRegistry")).to.deep.equal([]);
        expect(named(ev, "staging-images-pull").inputs.registryName).to.equal("justapply");
        expect(named(ev, imageResourceName("airflow", A)).inputs.imageName).to.equal(`registry.digitalocean.com/justapply/airflow:${A}`);
    });

    it("a claim, a re-point and a release change only that slot's deployment, registry row and its commit's images", async () => {
        const base = await run({ claims: { "6": claim({ task: "JOB-6" }) } });
        const claimed = await run({ claims: { "4": claim({ commit: B }), "6": claim({ task: "JOB-6" }) } });
        expect(changes(base, claimed)).to.deep.equal([
            "create staging-4-deploy", "update staging-4-registry",
            `create ${imageResourceName("airflow", B)}`, `create ${imageResourceName("campaign-ui", B)}`,
        ]);
        // Re-point onto slot 6's commit: B's images go, A's (slot 6's) are shared and untouched.
        const repointed = await run({ claims: { "4": claim(), "6": claim({ task: "JOB-6" }) } });
        expect(changes(claimed, repointed)).to.deep.equal([
            "replace staging-4-deploy", "update staging-4-registry",
            `delete ${imageResourceName("airflow", B)}`, `delete ${imageResourceName("campaign-ui", B)}`,
        ]);
        expect(diffEvaluations(claimed.resources, repointed.resources).find((c) => c.name === "staging-4-deploy")?.keys).to.deep.equal(["delete", "stdin", "triggers"]);
        expect(changes(repointed, base)).to.deep.equal(["delete staging-4-deploy", "update staging-4-registry"]);
    });

    it("without images, nothing of it exists and deployments build on the droplet", async () => {
        const ev = await evaluate(engineConfig({ ...baseValues(), claims: { "4": claim() } }), { now: NOW });
        expect(ev.resources.filter((r) => r.type === IMAGE_TYPE || r.name.startsWith("staging-images") || r.name.endsWith("registry-login"))).to.deep.equal([]);
        expect(String(named(ev, "staging-4-deploy").inputs.stdin)).to.not.include("IMAGE=");
    });

    it("never prints a registry token, and evaluates to the same inputs every time", async () => {
        const text = [renderPlan(two, "staging"), JSON.stringify(two.outputs), JSON.stringify(two.resources.map((r) => r.redacted))].join("\n");
        expect(text).to.not.include("mock-registry-token");
        expect(Buffer.from(text).toString()).to.not.include(Buffer.from("mock-registry-user-staging-images-pull:mock-registry-token-staging-images-pull").toString("base64"));
        const again = await run({ claims: { "4": claim(), "6": claim({ task: "JOB-6" }), "7": claim({ task: "JOB-7", commit: B }) } });
        const all = (ev: Evaluation) => canonicalJson(ev.resources.map((r) => [r.urn, r.inputs]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
        expect(all(again)).to.equal(all(two));
    });
});

describe("validation of staging-slots:images and registry", () => {
    const errors = (raw: Record<string, unknown>): Problem[] => errorsOf(values(raw));
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
        ["a context outside the repository", { images: { web: { context: "../x" } } }, "images.web.context", /must stay inside the app repository/],
        ["an absolute context", { images: { web: { context: "/srv/app" } } }, "images.web.context", /relative to the app repository's root/],
        ["a missing context", { images: { web: { dockerfile: "Dockerfile" } } }, "images.web.context", /context is required/],
        ["an unknown image field", { images: { web: { context: ".", tag: "x" } } }, "images.web.tag", /unknown image field "tag"/],
        ["a service name compose would not have", { images: { Web: { context: "." } } }, "images.Web", /not a compose service name/],
        ["a multi-line build argument", { images: { web: { context: ".", args: { A: "x\ny" } } } }, "images.web.args.A", /one line of plain text/],
        ["a bad build target", { images: { web: { context: ".", target: "a b" } } }, "images.web.target", /build stage name/],
        ["a build argument every image gets anyway", { images: { web: { context: ".", args: { APP_COMMIT: "x" } } } }, "images.web.args.APP_COMMIT", /set for every image/],
        ["an empty images map", { images: {} }, "images", /remove the key to build on the droplet/],
        ["a registry without images", { registry: { server: "registry.digitalocean.com", name: "x" } }, "registry", /only used to build images once/],
        ["a registry server that is not a host name", { images: { web: { context: "." } }, registry: { server: "https://x", name: "x" } }, "registry.server", /registry's host name/],
        ["a registry name with capitals", { images: { web: { context: "." } }, registry: { server: "registry.digitalocean.com", name: "X" } }, "registry.name", /lowercase letters, digits and '-'/],
    ];
    for (const [title, raw, field, says] of cases) {
        it(`refuses ${title}, naming ${field}`, () => {
            const found = errors(raw);
            expect(found.find((p) => p.field === field && says.test(formatProblem(p))), found.map(formatProblem).join("\n")).to.not.equal(undefined);
        });
    }

    it("defaults the dockerfile and normalises paths", () => {
        expect(validateImages({ web: { context: "./app/" } }, undefined, "job-search-staging").images?.services).to.deep.equal([
            { service: "web", context: "app", dockerfile: "app/Dockerfile", args: {} },
        ]);
    });

    it("reads the login out of DigitalOcean's Docker config JSON, and says so when there is none", () => {
        const json = JSON.stringify({ auths: { "registry.digitalocean.com": { auth: Buffer.from("tok:tok").toString("base64") } } });
        expect(registryAuth(json, "registry.digitalocean.com")).to.deep.equal({ server: "registry.digitalocean.com", username: "tok", password: "tok" });
        expect(() => registryAuth(json, "ghcr.io")).to.throw(/no login for ghcr\.io; check registry\.server/);
    });

    it("names each missing checkout with the slots that claim it", () => {
        const claims = new Map([[4, { commit: A }], [6, { commit: A }], [7, { commit: B }]]);
        expect(missingCheckoutsMessage(claims, (p) => p.endsWith(B))).to.equal(
            `images are built from a checkout of each claimed commit, and one is missing: .slots-cache/${A}/ (staging-4, staging-6); run \`npx slots fetch\` in the project root, then preview again`,
        );
        expect(missingCheckoutsMessage(claims, () => true)).to.equal(undefined);
    });
});
