// The seeds' two markdown tables, rendered from the catalogue and the claims: the static layout
// table and the "Slot Usage Registry" table. Pure, so the program's output, the `slots table`
// command and the tests render the same text.

import { SlotLayout } from "./catalogue";
import { Claim } from "./settings";

function cell(text: string): string {
    // A pipe would end the cell; validation keeps line breaks out already.
    return text.replace(/\|/g, "\\|");
}

/** The seed's "Available Staging Slots" table. */
export function layoutTable(slots: readonly SlotLayout[]): string {
    const rows = slots.map(
        (s) =>
            `| ${s.slot} | \`${s.identifier}\` | \`${s.subdomain}\` | ${s.campaignUiPort} | ${s.airflowPort} | \`${s.database}\` |`,
    );
    return [
        "| Slot | Identifier | Subdomain | Campaign UI Port | Airflow Port | Database |",
        "|------|------------|-----------|------------------|--------------|----------|",
        ...rows,
    ].join("\n") + "\n";
}

/** One slot's usage: its claim, and when its deployment last succeeded if known. */
export interface SlotUsage {
    readonly slot: number;
    readonly claim?: Claim;
    readonly deployedAt?: string;
}

/** The seed's "Slot Usage Registry" table; an Available slot shows `-` in every usage column. */
export function usageTable(usage: readonly SlotUsage[]): string {
    const rows = usage.map(({ slot, claim, deployedAt }) => {
        if (!claim) return `| ${slot} | Available | - | - | - | - | - |`;
        const purpose = [claim.purpose, claim.longRunning ? `(long-running: ${claim.longRunning})` : ""].filter(Boolean).join(" ") || "-";
        return `| ${slot} | In Use | ${cell(claim.owner)} | ${cell(claim.branch)} | ${claim.commit} | ${deployedAt ?? "-"} | ${cell(purpose)} |`;
    });
    return [
        "| Slot | Status | Owner | Branch | Commit SHA | Deployed At | Purpose |",
        "|------|--------|-------|--------|------------|-------------|---------|",
        ...rows,
    ].join("\n") + "\n";
}
