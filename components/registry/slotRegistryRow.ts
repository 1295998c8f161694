import * as pulumi from "@pulumi/pulumi";

import { SlotLayout } from "../catalogue";
import { Claim } from "../settings";
import { PROVIDER_VERSION, RegistryTarget, RowState, RowStatus, SlotRegistryProvider } from "./provider";

export interface SlotRegistryRowArgs {
    /** Where the registry lives; no secret in it. */
    readonly target: pulumi.Input<RegistryTarget>;
    /** The slot's fixed layout. */
    readonly layout: SlotLayout;
    /** The claim on the slot; absent when it is Available (the usage columns are then empty). */
    readonly claim?: Claim;
    /**
     * When the slot's deployment last succeeded, from the deploy script's result line; null
     * while Available. Never a clock reading taken by the program: inputs stay deterministic.
     */
    readonly deployedAt: pulumi.Input<string | null>;
}

// One provider object for every row: Pulumi serializes it once and caches the text.
const provider = new SlotRegistryProvider();

/** The row's inputs for a slot, as plain values apart from the target and deployment time. */
export function rowInputs(args: SlotRegistryRowArgs): pulumi.Inputs {
    const { layout, claim } = args;
    const usage = claim
        ? {
              status: "In Use" as RowStatus,
              owner: claim.owner,
              task: claim.task,
              branch: claim.branch,
              commit: claim.commit,
              // The seed shows "-" for an empty purpose; the table stores NULL.
              purpose: claim.purpose === "" ? null : claim.purpose,
              longRunning: claim.longRunning ?? null,
              claimedAt: claim.claimedAt,
              deployedAt: args.deployedAt,
          }
        : {
              status: "Available" as RowStatus,
              owner: null,
              task: null,
              branch: null,
              commit: null,
              purpose: null,
              longRunning: null,
              claimedAt: null,
              deployedAt: null,
          };
    const inputs: { [K in keyof RowState]: pulumi.Input<RowState[K]> } = {
        providerVersion: PROVIDER_VERSION,
        target: args.target,
        slot: layout.slot,
        identifier: layout.identifier,
        subdomain: layout.subdomain,
        campaignUiPort: layout.campaignUiPort,
        airflowPort: layout.airflowPort,
        database: layout.database,
        ...usage,
    };
    return inputs;
}

/**
 * The slot's row in `marts.staging_slots`, kept equal to the stack config by a dynamic
 * provider. Created for every slot, Available or In Use; removing the slot from the program
 * deletes the row.
 */
export class SlotRegistryRow extends pulumi.dynamic.Resource {
    public declare readonly status: pulumi.Output<RowStatus>;
    public declare readonly owner: pulumi.Output<string | null>;
    public declare readonly deployedAt: pulumi.Output<string | null>;

    constructor(name: string, args: SlotRegistryRowArgs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, rowInputs(args), opts);
    }
}
