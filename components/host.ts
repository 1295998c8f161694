import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

import { renderCaddyfile } from "./caddyfile";
import { SlotLayout } from "./catalogue";
import { CADDY_INSTALL_PATH, renderCloudInit } from "./cloudInit";

export interface StagingHostArgs {
    /** DigitalOcean region slug, e.g. `nyc3`. */
    readonly region: string;
    /** Droplet size slug; resized in place. */
    readonly size: string;
    /** Droplet image slug (Ubuntu LTS); changing it replaces the droplet. */
    readonly image: string;
    /** DigitalOcean SSH key ids or fingerprints for root; default none. */
    readonly sshKeys: readonly string[];
    /** OpenSSH public key of the `deploy` user. */
    readonly deployPublicKey: string;
    /** CIDRs allowed to reach port 22. */
    readonly adminCidrs: readonly string[];
    /** Every slot of the pool: Caddy routes them all, claimed or not. */
    readonly slots: readonly SlotLayout[];
    /** Let's Encrypt contact; optional. */
    readonly acmeEmail?: string;
    /** SSH connection of the deploy user; the host is filled in here. */
    readonly privateKey: pulumi.Input<string>;
    /** SSH private key with read access to the app repository (the secret `repositoryKey`); optional. */
    readonly repositoryKey?: pulumi.Input<string>;
    /** The droplet's SSH host key, verified when given. */
    readonly hostKey?: string;
    /** A Docker config JSON with read-only registry credentials, when slots pull built images; secret. */
    readonly registryConfig?: pulumi.Input<string>;
}

/**
 * The staging droplet and what fronts it: reserved IP, cloud firewall, Caddy's config. Nothing
 * here reads a claim, so claiming and releasing slots never touches the host.
 */
export class StagingHost extends pulumi.ComponentResource {
    /** The droplet. */
    public readonly droplet: digitalocean.Droplet;
    /** The reserved IP DNS points at; it survives a droplet rebuild. */
    public readonly reservedIp: digitalocean.ReservedIp;
    /** The reserved IP's address. */
    public readonly ipAddress: pulumi.Output<string>;
    /** How slot deployments reach the droplet: SSH as `deploy` to the reserved IP. Secret. */
    public readonly connection: pulumi.Output<command.types.input.remote.ConnectionArgs>;
    /**
     * Completes once cloud-init is done, Caddy serves the host's slots and, with built images, the
     * deploy user is logged in to the registry.
     */
    public readonly ready: command.remote.Command;

    constructor(name: string, args: StagingHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jobsearch:staging:StagingHost", name, {}, opts);

        // Protected: the droplet carries every slot's volumes and checkouts; losing it by accident
        // would take all ten environments down at once.
        this.droplet = new digitalocean.Droplet(
            `${name}-droplet`,
            {
                name,
                region: args.region,
                size: args.size,
                image: args.image,
                sshKeys: [...args.sshKeys],
                userData: renderCloudInit({ deployPublicKey: args.deployPublicKey }),
                monitoring: true,
                ipv6: false,
                tags: ["job-search-staging"],
            },
            { parent: this, protect: true },
        );

        const reservedIp = (this.reservedIp = new digitalocean.ReservedIp(
            `${name}-ip`,
            { region: args.region },
            { parent: this, protect: true },
        ));
        // The assignment is its own resource so a droplet rebuild re-points the address in place
        // instead of replacing it (DNS would follow a replaced address only after its TTL).
        const assignment = new digitalocean.ReservedIpAssignment(
            `${name}-ip-assignment`,
            { ipAddress: reservedIp.ipAddress, dropletId: this.droplet.id.apply(Number) },
            { parent: this },
        );
        this.ipAddress = reservedIp.ipAddress;

        new digitalocean.Firewall(
            `${name}-firewall`,
            {
                name: `${name}-firewall`,
                dropletIds: [this.droplet.id.apply(Number)],
                // Airflow (808N) and the Campaign UI (500N) listen on loopback only: Caddy fronts the
                // UI over 80/443 and engineers reach Airflow through an SSH tunnel on 22.
                inboundRules: [
                    { protocol: "tcp", portRange: "22", sourceAddresses: [...args.adminCidrs] },
                    { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
                    { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
                ],
                outboundRules: [
                    { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
                    { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
                    { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
                ],
            },
            { parent: this },
        );

        this.connection = pulumi.secret(
            pulumi.all([this.ipAddress, args.privateKey]).apply(([host, privateKey]) => ({
                host,
                user: "deploy",
                privateKey,
                ...(args.hostKey ? { hostKey: args.hostKey } : {}),
                dialErrorLimit: 20,
                perDialTimeout: 15,
            })),
        );

        // The droplet fetches the app over SSH with a key of its own, read-only on the repository.
        // It arrives over SSH, not in user data: rotating it must not replace the droplet.
        // The secret travels on stdin and lands 0600 through a temporary file; no output is logged.
        const secretFile = (resource: string, dir: string, file: string, content: pulumi.Input<string>, after: pulumi.Resource): command.remote.Command =>
            new command.remote.Command(
                `${name}-${resource}`,
                {
                    connection: this.connection,
                    create: `umask 077 && mkdir -p "$HOME/${dir}" && cat >"$HOME/${dir}/${file}.tmp" && mv -f "$HOME/${dir}/${file}.tmp" "$HOME/${dir}/${file}"`,
                    delete: `rm -f "$HOME/${dir}/${file}"`,
                    stdin: pulumi.secret(content),
                    logging: command.types.enums.remote.Logging.None,
                },
                { parent: this, dependsOn: [after], additionalSecretOutputs: ["stdout", "stderr"] },
            );
        const repositoryKey = args.repositoryKey ? secretFile("repository-key", ".ssh", "id_repository", args.repositoryKey, assignment) : undefined;

        const caddy = new command.remote.Command(
            `${name}-caddy`,
            {
                connection: this.connection,
                // cloud-init may still be installing packages on a new droplet; its exit status
                // is not ours to judge (it reports "degraded" for harmless warnings), the helper's is.
                create: `cloud-init status --wait >/dev/null 2>&1 || true; sudo -n ${CADDY_INSTALL_PATH}`,
                stdin: renderCaddyfile({ slots: args.slots, ...(args.acmeEmail ? { acmeEmail: args.acmeEmail } : {}) }),
            },
            { parent: this, dependsOn: [assignment, ...(repositoryKey ? [repositoryKey] : [])] },
        );

        // Read-only registry credentials for `docker compose pull`, over SSH like the repository
        // key: in user data they would be readable from the metadata service, and rotating them
        // would replace the droplet.
        this.ready = args.registryConfig ? secretFile("registry-login", ".docker", "config.json", args.registryConfig, caddy) : caddy;

        this.registerOutputs({ droplet: this.droplet, ipAddress: this.ipAddress, ready: this.ready });
    }
}
