// Renders the droplet's cloud-init user data. DigitalOcean replaces a droplet whose user data
// changes, so it takes nothing that a claim, a slot count or a script revision can change: only
// the deploy user's public key. Caddy's config and the slot folders arrive later over SSH.

import { stringify } from "yaml";

import { DEPLOY_ROOT } from "./catalogue";

/** The helper the deploy user may run as root: validates a Caddyfile on stdin, installs, reloads. */
export const CADDY_INSTALL_PATH = "/usr/local/sbin/staging-caddy-install";

const CADDY_INSTALL = `#!/bin/bash
# Installs the Caddyfile given on stdin after caddy itself has validated it.
set -euo pipefail
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat >"$tmp"
caddy validate --adapter caddyfile --config "$tmp" >/dev/null
install -m 0644 -o root -g root "$tmp" /etc/caddy/Caddyfile
systemctl reload-or-restart caddy
`;

// Containers log to json-file by default without a bound; ten slots of chatty Airflow fill a disk.
const DOCKER_DAEMON = JSON.stringify({ "log-driver": "json-file", "log-opts": { "max-size": "20m", "max-file": "5" } }, null, 2) + "\n";

const SSHD_HARDENING = "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n";

/** Options for the rendered user data. */
export interface CloudInitOptions {
    /** OpenSSH public key line of the deploy user. */
    readonly deployPublicKey: string;
}

/** The `#cloud-config` user data text. */
export function renderCloudInit(opts: CloudInitOptions): string {
    const config = {
        package_update: true,
        package_upgrade: false,
        // Ubuntu's own packages: Docker with the compose v2 plugin, Caddy, and what the scripts use.
        packages: ["docker.io", "docker-compose-v2", "caddy", "git", "curl", "util-linux"],
        users: [
            "default",
            {
                name: "deploy",
                shell: "/bin/bash",
                groups: "docker",
                lock_passwd: true,
                ssh_authorized_keys: [opts.deployPublicKey],
                sudo: `ALL=(root) NOPASSWD: ${CADDY_INSTALL_PATH}`,
            },
        ],
        write_files: [
            { path: CADDY_INSTALL_PATH, permissions: "0755", owner: "root:root", content: CADDY_INSTALL },
            { path: "/etc/docker/daemon.json", permissions: "0644", owner: "root:root", content: DOCKER_DAEMON },
            { path: "/etc/ssh/sshd_config.d/60-staging.conf", permissions: "0644", owner: "root:root", content: SSHD_HARDENING },
        ],
        runcmd: [
            ["install", "-d", "-m", "0750", "-o", "deploy", "-g", "deploy", DEPLOY_ROOT],
            ["systemctl", "enable", "--now", "docker", "caddy"],
            ["systemctl", "restart", "docker"],
            ["systemctl", "reload", "ssh"],
        ],
    };
    return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
