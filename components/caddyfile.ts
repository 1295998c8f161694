// Renders the droplet's Caddyfile: every slot's subdomain, claimed or not, proxied to its Campaign
// UI on loopback. It depends on the domain and the slot count only, so a claim never touches it;
// a slot with nothing running answers with a page saying it is free and how to claim it.

import { SlotLayout } from "./catalogue";

/** Options for the rendered Caddyfile. */
export interface CaddyfileOptions {
    /** Every slot of the pool. */
    readonly slots: readonly SlotLayout[];
    /** Let's Encrypt contact; omitted when not set. */
    readonly acmeEmail?: string;
}

// The free page's heading, by which `slots status` tells the page from an app's answer.
function freeHeading(identifier: string): string {
    return `<h1>${identifier} is free</h1>`;
}

/** Whether `body` is the page Caddy serves for slot `identifier` when nothing runs on its port. */
export function isFreePage(body: string, identifier: string): boolean {
    return body.includes(freeHeading(identifier));
}

function freePage(layout: SlotLayout): string {
    // Served with Caddy's `respond` inside backticks: the text must not contain a backtick.
    return [
        "<!doctype html>",
        `<html><head><meta charset="utf-8"><title>${layout.identifier} is free</title></head>`,
        "<body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto\">",
        freeHeading(layout.identifier),
        `<p>No deployment is running on ${layout.identifier}. It is available to claim, or its deployment is being replaced.</p>`,
        "<p>To claim it, in the staging-slots repository:</p>",
        `<pre>npx slots claim --slot ${layout.slot} --task JOB-123 --owner you --branch your/branch</pre>`,
        "<p>then open a pull request with the stack file change; <code>pulumi up</code> deploys it.</p>",
        "</body></html>",
    ].join("\n");
}

/** The Caddyfile text. */
export function renderCaddyfile(opts: CaddyfileOptions): string {
    const global = ["{", ...(opts.acmeEmail ? [`\temail ${opts.acmeEmail}`] : []), "}", ""];
    const sites = opts.slots.map((s) =>
        [
            `${s.subdomain} {`,
            "\tencode gzip",
            `\treverse_proxy 127.0.0.1:${s.campaignUiPort}`,
            "\thandle_errors {",
            "\t\t@down expression `{err.status_code} in [502, 503, 504]`",
            "\t\thandle @down {",
            "\t\t\theader Content-Type \"text/html; charset=utf-8\"",
            `\t\t\trespond \`${freePage(s)}\` 503`,
            "\t\t}",
            "\t}",
            "}",
            "",
        ].join("\n"),
    );
    return [...global, ...sites].join("\n");
}
