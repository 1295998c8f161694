// `slots comment` and `slots table`: the seed's markdown, rendered from the stack file.

import { catalogue, slotLayout } from "../components/catalogue";
import { Claim } from "../components/settings";
import { usageTable } from "../components/registryTable";
import { parseCommand, slotArgument } from "./args";
import { COMMENT_HELP, TABLE_HELP } from "./help";
import { Io, UserError } from "./io";
import { readStack, requireSettings } from "./stack";

/** The seed's "Staging Deployment" comment for a claim. */
export function deploymentComment(slot: number, domain: string, claim: Claim): string {
    const layout = slotLayout(slot, domain);
    return [
        "**Staging Deployment**",
        `- Slot: ${layout.identifier}`,
        `- Branch: ${claim.branch}`,
        `- Commit: ${claim.commit}`,
        `- Deployed: ${claim.claimedAt}`,
        `- URL: ${layout.url}`,
    ].join("\n") + "\n";
}

/** `slots comment N`. */
export async function commentCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, {}, COMMENT_HELP, 1);
    if (args.help) {
        io.stdout(COMMENT_HELP);
        return 0;
    }
    const slot = slotArgument(args.positionals[0], COMMENT_HELP);
    const settings = requireSettings(readStack(io, args.stack), "write a comment");
    const claim = settings.claims.get(slot);
    if (!claim) {
        throw new UserError([
            slot > settings.slotCount ? `there is no staging-${slot}: this stack has ${settings.slotCount} slots` : `staging-${slot} is not claimed; there is no deployment to describe`,
        ]);
    }
    io.stdout(deploymentComment(slot, settings.domain, claim));
    return 0;
}

/** `slots table`. */
export async function tableCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, {}, TABLE_HELP, 0);
    if (args.help) {
        io.stdout(TABLE_HELP);
        return 0;
    }
    const settings = requireSettings(readStack(io, args.stack), "print the table");
    io.stdout(
        usageTable(
            catalogue(settings.slotCount, settings.domain).map(({ slot }) => {
                const claim = settings.claims.get(slot);
                return claim ? { slot, claim, deployedAt: claim.claimedAt } : { slot };
            }),
        ),
    );
    return 0;
}
