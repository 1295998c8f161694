import * as digitalocean from "@pulumi/digitalocean";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";

import { PostgresSettings } from "./settings";

export interface SharedDatabaseArgs {
    /** Managed cluster settings, or the existing instance to use. */
    readonly postgres: PostgresSettings;
    /** Region of the managed cluster (the droplet's, so they share the VPC). */
    readonly region: string;
    /** The droplets allowed to connect to a managed cluster: every host's, in host order. */
    readonly dropletIds: readonly pulumi.Input<string>[];
    /** CIDRs allowed to connect to a managed cluster (where `pulumi up` runs from). */
    readonly adminCidrs: readonly string[];
    /** Password of an existing instance's user (the secret `postgresPassword`); required in existing mode. */
    readonly existingPassword?: pulumi.Input<string>;
}

/**
 * The shared PostgreSQL instance every slot's database lives on: a DigitalOcean managed cluster
 * created here, or an existing instance named in config. Either way a `@pulumi/postgresql`
 * provider connects to it for the slots' roles and databases.
 */
export class SharedDatabase extends pulumi.ComponentResource {
    /** Provider for roles, databases and grants on the instance. */
    public readonly provider: postgresql.Provider;
    /** Host the droplet's apps connect to (the VPC address for a managed cluster). */
    public readonly appHost: pulumi.Output<string>;
    /** Port of the instance. */
    public readonly port: pulumi.Output<number>;
    /** The managed cluster, when this program owns one. */
    public readonly cluster?: digitalocean.DatabaseCluster;
    /** The managed cluster's CA certificate (PEM), read when the apps verify the server (appSslmode verify-full). */
    public readonly caCertificate?: pulumi.Output<string>;

    constructor(name: string, args: SharedDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jobsearch:staging:SharedDatabase", name, {}, opts);
        const pg = args.postgres;
        if (pg.mode === "managed") {
            // Protected: it holds every slot's data and survives releases, rebuilds and mistakes.
            const cluster = new digitalocean.DatabaseCluster(
                `${name}-cluster`,
                {
                    name,
                    engine: "pg",
                    version: pg.version,
                    size: pg.size,
                    region: args.region,
                    nodeCount: pg.nodeCount,
                    tags: ["job-search-staging"],
                },
                { parent: this, protect: true },
            );
            new digitalocean.DatabaseFirewall(
                `${name}-trusted-sources`,
                {
                    clusterId: cluster.id,
                    rules: [
                        ...args.dropletIds.map((value) => ({ type: "droplet", value })),
                        ...args.adminCidrs.map((cidr) => ({ type: "ip_addr", value: cidr })),
                    ],
                },
                { parent: this },
            );
            this.cluster = cluster;
            if (pg.appSslmode === "verify-full") {
                // The cluster's own CA signs its server certificate (DigitalOcean API GET /v2/databases/{id}/ca).
                this.caCertificate = digitalocean.getDatabaseCaOutput({ clusterId: cluster.id }, { parent: this }).certificate;
            }
            this.appHost = cluster.privateHost;
            this.port = cluster.port;
            // doadmin is not a superuser on managed PostgreSQL; it may create roles and databases.
            this.provider = new postgresql.Provider(
                `${name}-provider`,
                {
                    host: cluster.host,
                    port: cluster.port,
                    username: cluster.user,
                    password: cluster.password,
                    database: cluster.database,
                    sslmode: "require",
                    superuser: false,
                    connectTimeout: 15,
                },
                { parent: this },
            );
        } else {
            if (args.existingPassword === undefined) {
                throw new Error("postgres.mode is existing but the secret postgresPassword is not set: pulumi config set --secret postgresPassword");
            }
            this.appHost = pulumi.output(pg.host);
            this.port = pulumi.output(pg.port);
            this.provider = new postgresql.Provider(
                `${name}-provider`,
                {
                    host: pg.host,
                    port: pg.port,
                    username: pg.user,
                    password: args.existingPassword,
                    database: pg.database,
                    sslmode: pg.sslmode,
                    superuser: false,
                    connectTimeout: 15,
                },
                { parent: this },
            );
        }
        this.registerOutputs({ appHost: this.appHost, port: this.port });
    }
}
