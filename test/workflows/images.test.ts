import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const DIR = path.join(__dirname, "..", "..", ".github", "workflows");

interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly env?: Record<string, unknown>;
}

function steps(file: string, job: string): Step[] {
    return (parse(readFileSync(path.join(DIR, file), "utf8")) as { jobs: Record<string, { steps: Step[] }> }).jobs[job].steps;
}

function at(list: readonly Step[], match: (s: Step) => boolean, what: string): number {
    const i = list.findIndex(match);
    expect(i, `no step ${what}`).to.be.greaterThan(-1);
    return i;
}

const runs = (re: RegExp) => (s: Step) => typeof s.run === "string" && re.test(s.run);

describe("workflows with images built once", () => {
    for (const [file, job, previewStep] of [
        ["deploy.yml", "deploy", runs(/^pulumi preview /)],
        ["review.yml", "preview", (s: Step) => s.uses?.startsWith("pulumi/actions@") === true],
        ["preview-stack.yml", "preview", (s: Step) => s.uses?.startsWith("pulumi/actions@") === true],
    ] as const) {
        it(`${file} sets up Docker and fetches the claimed commits before the preview`, () => {
            const list = steps(file, job);
            const docker = at(list, (s) => s.uses?.startsWith("docker/setup-docker-action@") === true, "setting up Docker");
            const fetch = at(list, runs(/^npx --no slots fetch$/m), "slots fetch");
            const preview = at(list, previewStep, "the preview");
            expect(docker).to.be.lessThan(preview);
            expect(fetch).to.be.lessThan(preview);
            // The repository key goes into a file of the runner's temp folder, never onto a command line.
            expect(list[fetch].env?.APP_REPOSITORY_KEY).to.equal("${{ secrets.APP_REPOSITORY_KEY }}");
            expect(list[fetch].run).to.match(/umask 077 && printf '%s\\n' "\$APP_REPOSITORY_KEY" > "\$key_file"/);
        });
    }

    it("deploy.yml refreshes each repository's buildcache tag after up, the token only in a config file", () => {
        const list = steps("deploy.yml", "deploy");
        const up = at(list, runs(/^pulumi up /), "pulumi up");
        const cache = at(list, runs(/docker push --quiet "\$repository:buildcache"/), "pushing buildcache");
        expect(cache).to.be.greaterThan(up);
        const script = list[cache].run as string;
        expect(script).to.contain('docker tag "$image" "$repository:buildcache"');
        expect(script).to.not.match(/docker login/);
        for (const line of script.split("\n").filter((l) => l.includes("$DIGITALOCEAN_TOKEN"))) {
            expect(line.trim()).to.match(/^auth=\$\(printf '%s:%s' "\$DIGITALOCEAN_TOKEN" "\$DIGITALOCEAN_TOKEN" \| base64 -w0\)$/);
        }
    });
});
