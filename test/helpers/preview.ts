// The steps a real `pulumi preview --json` would list between two offline evaluations, every
// unchanged resource as a `same` step: what `slots guard` reads, without a cloud account.

import { PreviewStep } from "../../cli/guardRules";
import { diffEvaluations } from "../../offline/planDiff";
import { Evaluation } from "../../offline/recorder";

/** The preview steps going from `before` to `after`. */
export function previewSteps(before: Evaluation, after: Evaluation): PreviewStep[] {
    const changes = new Map(diffEvaluations(before.resources, after.resources).map((c) => [`${c.type}::${c.name}`, c.op]));
    const steps: PreviewStep[] = after.resources.map((r) => ({ op: changes.get(`${r.type}::${r.name}`) ?? "same", urn: r.urn }));
    for (const r of before.resources) {
        if (changes.get(`${r.type}::${r.name}`) === "delete") steps.push({ op: "delete", urn: r.urn });
    }
    return steps;
}
