import { expect } from "chai";

import { evaluate } from "../../offline/recorder";
import { imageBuiltFromItsCommit, noPublicIngressExceptWeb, protectedResourcesProtected, slotPortsUnique } from "../../policy/policies";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";
import { TestResource, fromEvaluation, runResourcePolicy, runStackPolicy } from "./policyHarness";

const HOSTS = { staging: { slots: [1, 2, 3, 4, 5] }, "staging-b": { slots: [6, 7, 8, 9, 10] } };

describe("policy pack with several hosts", () => {
    let program: TestResource[];
    before(async () => {
        const ev = await evaluate(engineConfig({ ...baseValues(), hosts: HOSTS, claims: { "4": claim(), "7": claim({ task: "JOB-7" }) } }), { now: NOW });
        expect(ev.error, ev.error?.message).to.equal(undefined);
        program = fromEvaluation(ev.resources);
    });

    it("passes the real program's resources: every host's firewall, protection and Caddy", async () => {
        expect(program.filter((r) => r.type === "digitalocean:index/firewall:Firewall").map((r) => r.name)).to.deep.equal(["staging-firewall", "staging-b-firewall"]);
        expect([
            ...(await runResourcePolicy(noPublicIngressExceptWeb, program)),
            ...(await runResourcePolicy(protectedResourcesProtected, program)),
            ...(await runStackPolicy(slotPortsUnique, program)),
        ]).to.deep.equal([]);
    });

    it("refuses the second host's droplet without protect", async () => {
        const unprotected = program.map((r) => (r.name === "staging-b-droplet" ? { ...r, protect: false } : r));
        expect(await runResourcePolicy(protectedResourcesProtected, unprotected)).to.deep.equal([
            "staging-b-droplet: staging-b-droplet (digitalocean:index/droplet:Droplet) must be created with protect: true: the droplet holds every slot's checkout and volumes",
        ]);
    });

    it("refuses a subdomain routed by two hosts' Caddy", async () => {
        const caddyA = program.find((r) => r.name === "staging-caddy") as TestResource;
        const siteOf7 = /^staging-7\.justapply\.net \{\n[\s\S]*?\n\}\n/m.exec(program.find((r) => r.name === "staging-b-caddy")?.props.stdin as string)?.[0];
        expect(siteOf7).to.be.a("string");
        const doubled = program.map((r) => (r === caddyA ? { ...r, props: { ...r.props, stdin: `${String(r.props.stdin)}\n${String(siteOf7)}` } } : r));
        expect(await runStackPolicy(slotPortsUnique, doubled)).to.deep.equal([
            "staging-7.justapply.net is routed by staging-caddy and staging-b-caddy; each slot runs on exactly one host, whose Caddy alone routes it",
        ]);
    });
});

describe("policy pack with images built once", () => {
    const A = "0123456789abcdef0123456789abcdef01234567";
    const B = "fedcba9876543210fedcba9876543210fedcba98";
    let program: TestResource[];
    before(async () => {
        const ev = await evaluate(engineConfig({ ...baseValues(), images: { web: { context: "app" } }, claims: { "4": claim(), "5": claim({ task: "JOB-5", commit: B }) } }), { now: NOW });
        expect(ev.error, ev.error?.message).to.equal(undefined);
        program = fromEvaluation(ev.resources);
    });
    const edit = (name: string, props: (p: Record<string, unknown>) => Record<string, unknown>) =>
        program.map((r) => (r.name === name ? { ...r, props: props(structuredClone(r.props)) } : r));

    it("passes the program's images, each named, tagged and built for its own commit", async () => {
        expect(program.filter((r) => r.type === "docker:index/image:Image")).to.have.length(2);
        expect(await runResourcePolicy(imageBuiltFromItsCommit, program)).to.deep.equal([]);
    });

    it("refuses an image tagged or built for another commit than its name says", async () => {
        const retagged = edit(`image-web-${A}`, (p) => ({ ...p, imageName: `registry.digitalocean.com/job-search-staging/web:${B}` }));
        expect(await runResourcePolicy(imageBuiltFromItsCommit, retagged)).to.deep.equal([
            `image-web-${A}: image-web-${A}: tagged registry.digitalocean.com/job-search-staging/web:${B}, but it is the image of web at ${A}; tag it <registry>/web:${A}`,
        ]);
        const elsewhere = edit(`image-web-${A}`, (p) => ({ ...p, build: { ...(p.build as object), context: `.slots-cache/${B}/app` } }));
        expect(await runResourcePolicy(imageBuiltFromItsCommit, elsewhere)).to.deep.equal([
            `image-web-${A}: image-web-${A}: built from .slots-cache/${B}/app, outside .slots-cache/${A}/, the checkout of the commit it is named for`,
        ]);
    });
});
