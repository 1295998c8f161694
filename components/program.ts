// Wires the whole stack from validated settings: host, shared database, one StagingSlot per
// slot. Validation runs before the first resource is registered, so bad config registers
// nothing and reports every problem at once.

import { existsSync } from "node:fs";
import * as path from "node:path";

import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

import { AppImages } from "./appImages";
import { catalogue } from "./catalogue";
import { readStackConfig } from "./config";
import { SharedDatabase } from "./database";
import { StagingHost } from "./host";
import { hostOfSlot } from "./hosts";
import { claimedCommits, missingCheckoutsMessage } from "./images";
import { SlotRegistry } from "./registry";
import { layoutTable, usageTable } from "./registryTable";
import { DEFAULTS, Settings } from "./settings";
import { SlotStatus, StagingSlot } from "./stagingSlot";
import { formatProblem, requireValidSettings } from "./validation";

/** One slot as the stack outputs it. No secret in here. */
export interface SlotOutput {
    readonly slot: number;
    readonly identifier: string;
    readonly url: string;
    readonly campaignUiPort: number;
    readonly airflowPort: number;
    readonly database: string;
    readonly status: SlotStatus;
    readonly owner: string | null;
    readonly task: string | null;
    readonly branch: string | null;
    readonly commit: string | null;
    readonly deployedAt: string | null;
    /** The host (droplet) the slot runs on: `staging` unless `staging-slots:hosts` says otherwise. */
    readonly host: string;
    /**
     * Free disk on the host after the slot's last deployment, in GB, from the deploy script's
     * result line; null when the slot is not deployed or its deployment did not report it.
     */
    readonly freeDiskGb: number | null;
}

/** The stack's outputs. */
export interface StackOutputs {
    /** The reserved IP of the host named `staging` (the only host without `hosts`), else of the first host by name. */
    readonly ipAddress: pulumi.Output<string>;
    readonly slots: pulumi.Output<SlotOutput[]>;
    /** The seed's static layout table, markdown. */
    readonly layoutTable: string;
    /** The seed's slot usage registry table, markdown. */
    readonly registryTable: pulumi.Output<string>;
}

/** Secrets the program needs, read with requireSecret/getSecret. */
export interface StackSecrets {
    readonly deployPrivateKey: pulumi.Output<string>;
    /** SSH key with read access to the app repository, installed for the deploy user; optional. */
    readonly repositoryKey?: pulumi.Output<string>;
    readonly postgresPassword?: pulumi.Output<string>;
    /** The registry's connection string; only its presence matters here, the provider reads it itself. */
    readonly registryDatabaseUrl?: pulumi.Output<string>;
}

/** Builds every resource of the stack from validated settings. */
export function buildStack(settings: Settings, secrets: StackSecrets): StackOutputs {
    const slots = catalogue(settings.slotCount, settings.domain);

    // Built once per claimed commit, before the hosts: their droplets log in to its registry.
    const images = settings.images
        ? new AppImages("staging-images", { images: settings.images, commits: claimedCommits(settings.claims), region: settings.region })
        : undefined;

    // One StagingHost per host, named after it: without `hosts` that is the single host
    // `staging`, whose resources keep the names every existing stack has (`staging-droplet`, …).
    const hosts = settings.hosts.map((h) =>
        new StagingHost(h.name, {
            region: h.region,
            size: h.size,
            image: h.image,
            sshKeys: settings.sshKeys,
            deployPublicKey: settings.deployPublicKey,
            adminCidrs: settings.adminCidrs,
            slots: slots.filter((s) => h.slots.includes(s.slot)),
            ...(settings.acmeEmail ? { acmeEmail: settings.acmeEmail } : {}),
            privateKey: secrets.deployPrivateKey,
            ...(secrets.repositoryKey ? { repositoryKey: secrets.repositoryKey } : {}),
            ...(h.sshHostKey ? { hostKey: h.sshHostKey } : {}),
            ...(images ? { registryConfig: images.pullConfig } : {}),
        }));
    const hostByName = new Map(settings.hosts.map((h, i) => [h.name, hosts[i]]));
    const slotHost = hostOfSlot(settings.hosts);
    const hostOf = (slot: number): StagingHost => hostByName.get(slotHost.get(slot) as string) as StagingHost;
    // The stack's `ipAddress` stays the `staging` host's when there is one, so adding hosts
    // leaves it as it was.
    const primary = hostByName.get(DEFAULTS.host) ?? hosts[0];

    const db = new SharedDatabase("staging-postgres", {
        postgres: settings.postgres,
        region: settings.region,
        dropletIds: hosts.map((h) => h.droplet.id),
        adminCidrs: settings.adminCidrs,
        ...(secrets.postgresPassword ? { existingPassword: secrets.postgresPassword } : {}),
    });

    new digitalocean.Project("staging-project", {
        name: settings.projectName,
        description: "Job Search staging droplet and its pool of staging slots (managed by staging-slots)",
        purpose: "Web Application",
        environment: "Staging",
        resources: [
            ...hosts.flatMap((h) => [h.droplet.dropletUrn, h.reservedIp.reservedIpUrn]),
            ...(db.cluster ? [db.cluster.clusterUrn] : []),
        ],
    });

    const registry = new SlotRegistry("staging-registry", {
        registryDatabase: settings.registryDatabase,
        postgres: settings.postgres,
        postgresProvider: db.provider,
        ...(db.cluster ? { clusterId: db.cluster.id } : {}),
        external: secrets.registryDatabaseUrl !== undefined,
    });

    const components = slots.map((layout) => {
        const claim = settings.claims.get(layout.slot);
        const host = hostOf(layout.slot);
        return new StagingSlot(layout.identifier, {
            layout,
            domain: settings.domain,
            ...(claim ? { claim } : {}),
            ...(claim && images ? { images: images.pins.get(claim.commit) } : {}),
            ipAddress: host.ipAddress,
            postgresProvider: db.provider,
            databaseHost: db.appHost,
            databasePort: db.port,
            databaseSslmode: settings.postgres.mode === "existing" ? settings.postgres.sslmode : (settings.postgres.appSslmode ?? "require"),
            ...(db.caCertificate ? { databaseCaCertificate: db.caCertificate } : {}),
            connection: host.connection,
            repository: settings.repository,
            appEnv: settings.appEnv,
            deployTimeoutSeconds: settings.deployTimeoutSeconds,
            release: { removeVolumes: settings.releaseRemovesVolumes, removeCheckout: settings.releaseRemovesCheckout },
            data: {
                databaseOnNewTask: settings.databaseOnNewTask,
                volumesOnNewTask: settings.volumesOnNewTask,
                ...(settings.seedCommand ? { seedCommand: settings.seedCommand } : {}),
                pruneAfterHours: settings.pruneAfterHours,
                minFreeDiskGb: settings.minFreeDiskGb,
            },
            hostReady: host.ready,
            registry: { target: registry.target, ...(registry.database ? { ready: registry.database } : {}) },
        });
    });

    const slotOutputs = pulumi.all([pulumi.all(components.map((c) => c.deployedAt)), pulumi.all(components.map((c) => c.freeDiskGb))]).apply(([deployed, disk]) =>
        components.map((c, i): SlotOutput => ({
            slot: c.slot,
            identifier: slots[i].identifier,
            url: c.url,
            campaignUiPort: c.campaignUiPort,
            airflowPort: c.airflowPort,
            database: c.database,
            status: c.status,
            owner: c.claim?.owner ?? null,
            task: c.claim?.task ?? null,
            branch: c.claim?.branch ?? null,
            commit: c.claim?.commit ?? null,
            deployedAt: deployed[i] ?? null,
            host: slotHost.get(c.slot) as string,
            freeDiskGb: disk[i] ?? null,
        })),
    );

    return {
        ipAddress: primary.ipAddress,
        slots: slotOutputs,
        layoutTable: layoutTable(slots),
        registryTable: slotOutputs.apply((out) =>
            usageTable(out.map((o) => ({ slot: o.slot, claim: settings.claims.get(o.slot), ...(o.deployedAt ? { deployedAt: o.deployedAt } : {}) })))),
    };
}

/** Options of a program run. */
export interface ProgramOptions {
    /** The clock reading that judges claim ages; it never reaches a resource input. Default: now. */
    readonly now?: Date;
    /** Where warnings (stale claims) go; default `pulumi.log.warn`, shown in the preview. */
    readonly warn?: (message: string) => void;
    /**
     * Where the checkouts images are built from live (`.slots-cache/<commit>/` under it); default
     * the working directory, where `pulumi` runs the program. `false` skips the check: the offline
     * evaluation builds nothing and needs no checkout.
     */
    readonly checkoutRoot?: string | false;
}

/** The program: reads and validates the stack config, warns about stale claims, builds the stack. */
export function stagingSlots(opts: ProgramOptions = {}): StackOutputs {
    const { settings, warnings } = requireValidSettings(readStackConfig(), opts.now ?? new Date());
    const warn = opts.warn ?? ((message: string) => void pulumi.log.warn(message));
    for (const w of warnings) {
        warn(formatProblem(w));
    }
    // The docker provider's Check opens each image's Dockerfile and hashes its context even in a
    // preview (pulumi-docker provider/provider.go), so a missing checkout would fail there with
    // a message about a Dockerfile; say what to do instead, before any resource is registered.
    const root = opts.checkoutRoot ?? process.cwd();
    if (settings.images && root !== false) {
        const missing = missingCheckoutsMessage(settings.claims, (p) => existsSync(path.join(root, p)));
        // A RunError ends the program "resulting in a clean exit rather than the usual verbose
        // unhandled error logic which emits ... complete stack trace" (pulumi/pulumi
        // sdk/nodejs/errors.ts): the message alone, for the user to act on.
        if (missing) throw new pulumi.RunError(missing);
    }
    const config = new pulumi.Config();
    const secrets: StackSecrets = {
        deployPrivateKey: config.requireSecret("deployPrivateKey"),
        ...(config.getSecret("repositoryKey") ? { repositoryKey: config.requireSecret("repositoryKey") } : {}),
        ...(settings.postgres.mode === "existing" ? { postgresPassword: config.requireSecret("postgresPassword") } : {}),
        ...(config.getSecret("registryDatabaseUrl") ? { registryDatabaseUrl: config.requireSecret("registryDatabaseUrl") } : {}),
    };
    return buildStack(settings, secrets);
}
