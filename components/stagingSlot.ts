import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import { SlotLayout } from "./catalogue";
import { RegistryTarget, SlotRegistryRow } from "./registry";
import {
    APP_CA_PATH,
    DataOptions,
    ReleaseOptions,
    dataOwnerKey,
    deployCommand,
    deployStdin,
    deployTriggers,
    deploymentId,
    healthTimeoutSeconds,
    parseDeployResult,
    releaseCommand,
} from "./scripts";
import { Claim } from "./settings";

/** `In Use` or `Available`, the seeds' two statuses. */
export type SlotStatus = "In Use" | "Available";

export interface StagingSlotArgs {
    /** The slot's fixed layout (catalogue.slotLayout). */
    readonly layout: SlotLayout;
    /** Apex domain the slot's A record is created in. */
    readonly domain: string;
    /** The claim on the slot; absent when the slot is Available. */
    readonly claim?: Claim;
    /** Address the slot's subdomain points at (the host's reserved IP). */
    readonly ipAddress: pulumi.Input<string>;
    /** Provider connected to the shared PostgreSQL instance. */
    readonly postgresProvider: postgresql.Provider;
    /** Host and port the slot's app uses to reach PostgreSQL. */
    readonly databaseHost: pulumi.Input<string>;
    readonly databasePort: pulumi.Input<number>;
    /** sslmode the app connects with: the stack's for an existing instance, `require` for a managed one. */
    readonly databaseSslmode: string;
    /** The database's CA certificate (PEM) when the app verifies the server with it; default none. */
    readonly databaseCaCertificate?: pulumi.Input<string>;
    /** SSH connection to the droplet as `deploy`; secret. */
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /** Git URL the droplet fetches the app from. */
    readonly repository: string;
    /** Plain app settings shared by every slot. */
    readonly appEnv: Readonly<Record<string, string>>;
    /** Upper bound of one deployment, seconds. */
    readonly deployTimeoutSeconds: number;
    /** What a release removes besides the running containers. */
    readonly release: ReleaseOptions;
    /** Pins of the images built once for the claimed commit (`<service>=<repo>@sha256:…`); default none (build on the droplet). */
    readonly images?: pulumi.Input<string[]>;
    /** What a deployment does with the slot's data for a new task, and with the disk. */
    readonly data: DataOptions;
    /** Deployments wait for this (the host's readiness); default none. */
    readonly hostReady?: pulumi.Resource;
    /** Where the slot's registry row goes, and what it waits for; no row when absent. */
    readonly registry?: { readonly target: pulumi.Input<RegistryTarget>; readonly ready?: pulumi.Resource };
}

/**
 * One staging slot: its DNS record and database always, its deployment only while claimed.
 * Child names derive from the component's name (`staging-N-…`) and never change: a renamed
 * child is a replaced resource in someone's stack.
 */
export class StagingSlot extends pulumi.ComponentResource {
    public readonly slot: number;
    public readonly url: string;
    public readonly campaignUiPort: number;
    public readonly airflowPort: number;
    public readonly database: string;
    public readonly status: SlotStatus;
    public readonly claim?: Claim;
    /** The role's generated password; secret. */
    public readonly databasePassword: pulumi.Output<string>;
    /** The deployment while claimed. */
    public readonly deployment?: command.remote.Command;
    /** When the deployment last succeeded, from the deploy script's result line; undefined while Available. */
    public readonly deployedAt: pulumi.Output<string | undefined>;
    /** Free disk on the host after this slot's last deployment, in GB, as its result line reported it. */
    public readonly freeDiskGb: pulumi.Output<number | undefined>;
    /** The slot's row in marts.staging_slots. */
    public readonly registryRow?: SlotRegistryRow;

    constructor(name: string, args: StagingSlotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jobsearch:staging:StagingSlot", name, {}, opts);
        const { layout, claim } = args;
        this.slot = layout.slot;
        this.url = layout.url;
        this.campaignUiPort = layout.campaignUiPort;
        this.airflowPort = layout.airflowPort;
        this.database = layout.database;
        this.status = claim ? "In Use" : "Available";
        this.claim = claim;

        new digitalocean.DnsRecord(
            `${name}-dns`,
            { domain: args.domain, type: "A", name: layout.identifier, value: args.ipAddress, ttl: 300 },
            { parent: this },
        );

        const dbOpts = { parent: this, provider: args.postgresProvider };
        const password = new random.RandomPassword(
            `${name}-db-password`,
            // Letters and digits only: the password goes into a URL and an env file unescaped by the app.
            { length: 32, special: false },
            { parent: this },
        );
        this.databasePassword = password.result;
        // The role and database are protected: releasing a slot never drops its data, and
        // shrinking the pool needs a deliberate `pulumi state unprotect` first.
        const role = new postgresql.Role(
            `${name}-db-role`,
            { name: layout.role, login: true, password: password.result },
            { ...dbOpts, protect: true },
        );
        const database = new postgresql.Database(
            `${name}-db`,
            { name: layout.database, owner: role.name },
            { ...dbOpts, protect: true },
        );
        // Every role may CONNECT to a new database by default; only the slot's own role should.
        const revoke = new postgresql.Grant(
            `${name}-db-connect`,
            { database: database.name, role: "public", objectType: "database", privileges: [] },
            dbOpts,
        );

        if (claim) {
            // With the CA, the app verifies the server with it, where the app's compose file mounts it.
            const rootCert = args.databaseCaCertificate !== undefined ? `&sslrootcert=${APP_CA_PATH}` : "";
            const databaseUrl = pulumi
                .all([args.databaseHost, args.databasePort, password.result])
                .apply(([host, port, pw]) =>
                    `postgresql://${encodeURIComponent(layout.role)}:${encodeURIComponent(pw)}@${host}:${port}/${layout.database}?sslmode=${args.databaseSslmode}${rootCert}`);
            const stdin = pulumi.secret(
                pulumi.all([databaseUrl, args.databaseCaCertificate, args.images ?? []]).apply(([url, ca, images]) =>
                    deployStdin({
                        layout,
                        // Only what changes what runs: an owner or purpose edit is the registry
                        // row's, and never runs the deployment again; a task reaches it only as the
                        // data owner's digest below, so a new task gets a fresh database.
                        claim: { branch: claim.branch, commit: claim.commit, redeploy: claim.redeploy, resetDatabase: claim.resetDatabase },
                        repository: args.repository,
                        databaseUrl: url,
                        appEnv: args.appEnv,
                        healthTimeoutSeconds: healthTimeoutSeconds(args.deployTimeoutSeconds),
                        ...(ca ? { databaseCaCertificate: ca } : {}),
                        images,
                        data: args.data,
                        ...(args.data.databaseOnNewTask === "reset" || args.data.volumesOnNewTask === "reset" ? { dataOwner: dataOwnerKey(claim.task) } : {}),
                    })),
            );
            this.deployment = new command.remote.Command(
                `${name}-deploy`,
                {
                    connection: args.connection,
                    create: deployCommand(args.deployTimeoutSeconds, args.images !== undefined),
                    delete: releaseCommand(layout.slot, deploymentId(layout.slot, claim), args.release),
                    stdin,
                    triggers: deployTriggers(claim),
                    // The app's build and logs may echo its settings; nothing of it goes to the log.
                    logging: command.types.enums.remote.Logging.None,
                },
                {
                    parent: this,
                    additionalSecretOutputs: ["stdout", "stderr"],
                    dependsOn: [database, revoke, ...(args.hostReady ? [args.hostReady] : [])],
                },
            );
            this.deployedAt = pulumi.unsecret(this.deployment.stdout.apply((out) => parseDeployResult(out ?? "")?.deployedAt));
            // Only the parsed number leaves the secret stdout, like deployedAt above.
            this.freeDiskGb = pulumi.unsecret(this.deployment.stdout.apply((out) => parseDeployResult(out ?? "")?.freeDiskGb));
        } else {
            this.deployedAt = pulumi.output(undefined);
            this.freeDiskGb = pulumi.output(undefined);
        }

        if (args.registry) {
            // Written only after the deployment succeeded: a failed deploy leaves the row as it was.
            this.registryRow = new SlotRegistryRow(
                `${name}-registry`,
                {
                    target: args.registry.target,
                    layout,
                    ...(claim ? { claim } : {}),
                    deployedAt: this.deployedAt.apply((at) => at ?? null),
                },
                {
                    parent: this,
                    dependsOn: [...(this.deployment ? [this.deployment] : []), ...(args.registry.ready ? [args.registry.ready] : [])],
                },
            );
        }

        this.registerOutputs({
            url: this.url,
            status: this.status,
            database: this.database,
            deployedAt: this.deployedAt,
            freeDiskGb: this.freeDiskGb,
        });
    }
}
