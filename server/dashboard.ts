// The Staging Dashboard's HTML, rendered on the server from the same data as the JSON API. Every
// value is escaped; the page carries no token or secret (the admin token is typed into the form
// and sent only as an Authorization header). dashboard.js refreshes the table in place and sends
// the form; dashboard.css makes the table a list of cards on a phone.

import { age } from "../cli/list";
import { ApiInReview, ApiSlot, ApiSlots } from "./view";

/** Text made safe for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

const e = escapeHtml;

function cell(label: string, html: string, cls = ""): string {
    return `<td data-label="${e(label)}"${cls ? ` class="${cls}"` : ""}>${html}</td>`;
}

function dash(v: string | null): string {
    return v === null || v === "" ? '<span class="none">-</span>' : e(v);
}

function commitCell(s: ApiSlot): string {
    if (s.commit_sha === null) return dash(null);
    const short = e(s.commit_sha.slice(0, 7));
    return s.commit_url ? `<a href="${e(s.commit_url)}" title="${e(s.commit_sha)}"><code>${short}</code></a>` : `<code title="${e(s.commit_sha)}">${short}</code>`;
}

function statusCell(s: ApiSlot): string {
    const flags = [s.status === "In Use" ? '<span class="badge in-use">In Use</span>' : '<span class="badge available">Available</span>'];
    if (s.stale) flags.push(`<span class="badge stale">${s.staleness === "expired" ? "expired" : "stale"}</span>`);
    if (s.live) {
        const title = [s.live.detail, s.live.action ? `To do: ${s.live.action}` : "", s.live.deployed_at ? `Deployed by pulumi up at ${s.live.deployed_at}` : ""].filter((t) => t !== "").join(". ");
        flags.push(`<span class="badge live live-${e(s.live.state)}" title="${e(title)}">${e(s.live.state)}</span>`);
        if (s.live.deployed_at) flags.push(`<small class="deployed">deployed ${e(s.live.deployed_at.replace("T", " "))}</small>`);
    }
    for (const p of s.pending) {
        const what = p.change === "claimed" ? "claim" : p.change === "released" ? "release" : "change";
        const label = `${what} waiting for review`;
        flags.push(p.pull_request_url ? `<a class="badge pending" href="${e(p.pull_request_url)}" title="${e(p.summary)}">${label}</a>` : `<span class="badge pending" title="${e(`${p.summary} (${p.branch})`)}">${label}</span>`);
    }
    return flags.join(" ");
}

function row(s: ApiSlot): string {
    const release =
        s.status === "In Use" && s.pending.length === 0 ? `<button type="button" class="release" data-slot="${s.slot_id}">Release</button>` : "";
    return [
        `<tr data-slot="${s.slot_id}">`,
        cell("Slot", `<strong>${e(s.identifier)}</strong>`),
        cell("Status", statusCell(s)),
        cell("URL", `<a href="${e(s.url)}">${e(s.subdomain)}</a>`),
        cell("Ports", `UI ${s.campaign_ui_port} · Airflow ${s.airflow_port}`),
        cell("Database", `<code>${e(s.database_name)}</code>`),
        cell("Owner", dash(s.owner), "owner"),
        cell("Task", dash(s.task), "task"),
        cell("Branch", dash(s.branch), "branch"),
        cell("Commit", commitCell(s), "commit"),
        cell("Claimed", s.age_seconds === null ? dash(null) : `<span title="${e(s.claimed_at ?? "")}">${e(age(s.age_seconds))} ago</span>`),
        cell("Expires", s.stale_at === null && s.long_running ? `<span title="${e(s.long_running)}">open-ended</span>` : dash(s.stale_at === null ? null : s.stale_at.replace("T", " ").replace(/:00Z$/, "Z"))),
        cell("Purpose", dash(s.long_running ? `${s.purpose ?? ""}${s.purpose ? "; " : ""}long-running: ${s.long_running}` : s.purpose)),
        cell("", release),
        "</tr>",
    ].join("");
}

/** One branch waiting for review: where it puts its slot or queue entry, what it changes, its pull request. */
function inReviewItem(r: ApiInReview): string {
    const where = [...r.slot_ids.map((n) => `staging-${n}`), ...r.queued.map((q) => `${q.pool} #${q.pool_position} once merged`)].join(", ");
    const slotChanges = r.changes.filter((c) => !c.startsWith("waitlist: "));
    const what = [
        // One slot is named already; several keep their names on each sentence.
        ...(r.slot_ids.length === 1 ? slotChanges.map((c) => c.replace(/^staging-\d+: /, "")) : slotChanges),
        ...r.queued.map((q) => `${q.task} for ${q.owner} joins the queue`),
    ];
    const link = r.pull_request_url
        ? `<a class="pull-request" href="${e(r.pull_request_url)}">pull request</a>`
        : `branch <code>${e(r.branch)}</code>, no open pull request found`;
    return `<li data-branch="${e(r.branch)}"><strong>${e(where || r.branch)}</strong> ${e(r.action)}: ${what.map(e).join("; ")} · ${link}</li>`;
}

/** The part of the page that refreshes: summary, slot table, waitlist, pull requests in review. */
export function renderSlots(view: ApiSlots): string {
    const held = view.slots.filter((s) => s.status === "In Use").length;
    const stale = view.slots.filter((s) => s.stale).length;
    const head = ["Slot", "Status", "URL", "Ports", "Database", "Owner", "Task", "Branch", "Commit", "Claimed", "Expires", "Purpose", ""];
    const parts = [
        `<p class="summary" id="summary">${held} of ${view.slots.length} slots in use${stale ? `, ${stale} stale` : ""}. Read from <code>${e(view.file)}</code> on ${e(view.source.branch)} at <code>${e(view.source.commit.slice(0, 7))}</code>, ${e(view.generated_at.slice(0, 19).replace("T", " "))} UTC.</p>`,
        `<table id="slots-table"><thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join("")}</tr></thead><tbody>`,
        ...view.slots.map(row),
        "</tbody></table>",
    ];
    if (view.waitlist.length > 0) {
        parts.push(
            `<h2>Waitlist</h2><p class="hint">The first waiter of a pool (#1) takes its next released slot.</p><ol class="waitlist">`,
            ...view.waitlist.map(
                (w) =>
                    `<li data-task="${e(w.task)}"><strong>${e(w.pool)} #${w.pool_position}</strong>: ${e(w.task)} for ${e(w.owner)}, ${e(w.branch)}${w.commit_sha ? ` @ <code>${e(w.commit_sha.slice(0, 7))}</code>` : ""}, waiting ${e(age(w.waiting_seconds))}${w.purpose ? `: ${e(w.purpose)}` : ""}</li>`,
            ),
            "</ol>",
        );
    }
    if (view.in_review.length > 0) {
        parts.push(
            `<h2>Waiting for review</h2><p class="hint">Claims, releases and queue entries that take effect once their pull request is merged and <code>pulumi up</code> has run.</p><ul class="in-review">`,
            ...view.in_review.map(inReviewItem),
            "</ul>",
        );
    }
    return parts.join("\n");
}

/** Where the table goes when reads need a token the page cannot have yet. */
const LOCKED = '<p class="summary" id="summary">Reading the slots needs a token on this server: paste yours under Admin token and the table loads.</p>';

/** The whole dashboard page; without `view` (reads need a token) the table loads once one is typed. */
export function renderPage(stack: string, view: ApiSlots | undefined): string {
    const slots = view?.slots ?? [];
    const free = slots.filter((s) => s.status === "Available" && s.pending.length === 0);
    const pools = [...new Set(slots.flatMap((s) => s.pools))].sort();
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Staging Dashboard</title>
<link rel="stylesheet" href="/staging/dashboard.css">
<script src="/staging/dashboard.js" defer></script>
</head>
<body>
<header><h1>Staging Dashboard</h1><p>Stack <code>${e(stack)}</code>. Every claim and release below opens a pull request; it takes effect when the pull request is merged and <code>pulumi up</code> has run.</p></header>
<main>
<section id="slots" aria-live="polite">
${view ? renderSlots(view) : LOCKED}
</section>
<section id="token-box">
<label>Admin token <input id="token" type="password" autocomplete="off" placeholder="JWT with the admin claim"></label>
<p class="hint">Kept in this tab only; sent as an Authorization header, never stored by the server.</p>
</section>
<section id="claim">
<h2>Claim a slot</h2>
<form id="claim-form" autocomplete="off">
<label>Slot <select name="slot_id"><option value="">lowest free slot of the pool</option>${free.map((s) => `<option value="${s.slot_id}">${e(s.identifier)}</option>`).join("")}</select></label>
<label>Pool <select name="pool">${(pools.length > 0 ? pools : ["qa"]).map((p) => `<option value="${e(p)}"${p === "qa" ? " selected" : ""}>${e(p)}</option>`).join("")}</select></label>
<label>Owner <input name="owner" required maxlength="200"></label>
<label>Task <input name="task" required maxlength="200" placeholder="JOB-123"></label>
<label>Branch <input name="branch" required maxlength="250" placeholder="feature/login"></label>
<label>Commit <input name="commit_sha" maxlength="40" pattern="[0-9a-f]{40}" placeholder="full SHA; empty = the branch's head"></label>
<label>Purpose <input name="purpose" maxlength="200" placeholder="QA for PR #123"></label>
<label class="check"><input type="checkbox" name="wait" value="true"> Join the pool's waitlist if it is full (leave Slot at the lowest free one)</label>
<button type="submit">Open the claim pull request</button>
</form>
<p id="result" role="status"></p>
</section>
</main>
</body>
</html>
`;
}
