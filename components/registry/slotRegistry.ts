import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";

import { PostgresSettings } from "../settings";
import { RegistryTarget } from "./provider";

export interface SlotRegistryArgs {
    /** The registry database's name on the shared instance (`registryDatabase`, default `staging_registry`). */
    readonly registryDatabase: string;
    /** The shared PostgreSQL instance's settings. */
    readonly postgres: PostgresSettings;
    /** Provider connected to the shared instance; creates the registry database there. */
    readonly postgresProvider: postgresql.Provider;
    /** The managed cluster's id, when this stack owns the instance. */
    readonly clusterId?: pulumi.Input<string>;
    /**
     * True when the secret `registryDatabaseUrl` is set: the registry then lives wherever it
     * points (e.g. the production database) and nothing is created on the shared instance.
     */
    readonly external: boolean;
}

/** Where the rows are written, without any secret (the provider finds the password itself). */
export function registryTarget(args: Omit<SlotRegistryArgs, "postgresProvider">): pulumi.Output<RegistryTarget> {
    if (args.external) return pulumi.output<RegistryTarget>({ kind: "url" });
    const pg = args.postgres;
    if (pg.mode === "existing") {
        return pulumi.output<RegistryTarget>({
            kind: "instance",
            host: pg.host,
            port: pg.port,
            user: pg.user,
            sslmode: pg.sslmode,
            database: args.registryDatabase,
        });
    }
    if (args.clusterId === undefined) throw new Error("the registry on a managed cluster needs the cluster's id");
    return pulumi.output(args.clusterId).apply((clusterId): RegistryTarget => ({ kind: "managed", clusterId, database: args.registryDatabase }));
}

/**
 * The registry's home: on the shared instance (default) a protected database created here; with
 * `registryDatabaseUrl` an outside database this program only writes rows to. Each StagingSlot
 * owns its own row (SlotRegistryRow); this component only says where the rows go.
 */
export class SlotRegistry extends pulumi.ComponentResource {
    /** Where the rows are written. */
    public readonly target: pulumi.Output<RegistryTarget>;
    /** The registry database on the shared instance; rows wait for it. Absent when external. */
    public readonly database?: postgresql.Database;

    constructor(name: string, args: SlotRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jobsearch:staging:SlotRegistry", name, {}, opts);
        this.target = registryTarget(args);
        if (!args.external) {
            // Protected like the slots' databases: the dashboard's history lives in it.
            this.database = new postgresql.Database(
                `${name}-db`,
                { name: args.registryDatabase },
                { parent: this, provider: args.postgresProvider, protect: true },
            );
        }
        this.registerOutputs({ target: this.target });
    }
}
