// Which input changes make the engine replace a resource instead of updating it in place, for
// every resource type this program registers. Pure: a table and two lookups, read by
// `slots plan` (a replace is shown as a replace) and `npm run plan` (the inputs that would force
// one are marked). Pulumi's bridged providers replace a resource when a Terraform attribute marked
// ForceNew (or RequiresReplace) changes; the names below are those attributes in Pulumi's casing.

/** How one input forces a replacement: on any change, or only on some changes. */
type ForceNew = true | ((before: unknown, after: unknown) => boolean);

/**
 * Force-new inputs by resource type, from the providers' sources:
 * - digitalocean (terraform-provider-digitalocean 401992a, digitalocean/droplet/resource_droplet.go):
 *   image, region, public_networking, ssh_keys, user_data, monitoring, droplet_agent, vpc_uuid,
 *   gpu_partition_mode are ForceNew; CustomizeDiff ForceNewIfChange("ipv6") when it goes true → false.
 *   size is resized in place.
 * - reservedip/resource_reserved_ip.go: region; reservedip/resource_reserved_ip_assignment.go:
 *   ip_address and droplet_id.
 * - domain/resource_record.go: type and domain (name, value and ttl change in place).
 * - database/resource_database_cluster.go: name, engine, private_network_uuid, project_id (region,
 *   size, version and node_count change in place: DigitalOcean migrates or resizes the cluster).
 * - database/resource_database_firewall.go: cluster_id. firewall/ and project/: nothing.
 * - postgresql (cyrilgdn/terraform-provider-postgresql ff936b9, postgresql/resource_postgresql_database.go):
 *   template, encoding, lc_collate, lc_ctype; the name is renamed in place (ALTER DATABASE … RENAME).
 *   resource_postgresql_role.go: nothing (a name change is ALTER ROLE … RENAME).
 *   resource_postgresql_grant.go: role, database, schema, object_type, objects, columns, with_grant_option.
 * - random (hashicorp/terraform-provider-random, internal/provider/resource_password.go): every
 *   attribute carries a RequiresReplace plan modifier.
 * - command (pulumi/pulumi-command v1.2.1, the remote Command's ResourceInputs.Annotate: "Trigger a
 *   resource replacement on changes to any of these values"): only `triggers` replaces; every other
 *   input change runs the command's update (here: the create command again).
 * - the registry row, the only dynamic resource (components/registry/provider.ts, diff): slot and target.
 */
const FORCE_NEW: Readonly<Record<string, Readonly<Record<string, ForceNew>>>> = {
    "digitalocean:index/droplet:Droplet": {
        image: true,
        region: true,
        publicNetworking: true,
        sshKeys: true,
        userData: true,
        monitoring: true,
        dropletAgent: true,
        vpcUuid: true,
        gpuPartitionMode: true,
        ipv6: (before, after) => before === true && after !== true,
    },
    "digitalocean:index/reservedIp:ReservedIp": { region: true },
    "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": { ipAddress: true, dropletId: true },
    "digitalocean:index/dnsRecord:DnsRecord": { type: true, domain: true },
    "digitalocean:index/databaseCluster:DatabaseCluster": { name: true, engine: true, privateNetworkUuid: true, projectId: true },
    "digitalocean:index/databaseFirewall:DatabaseFirewall": { clusterId: true },
    "postgresql:index/database:Database": { template: true, encoding: true, lcCollate: true, lcCtype: true },
    "postgresql:index/grant:Grant": {
        role: true,
        database: true,
        schema: true,
        objectType: true,
        objects: true,
        columns: true,
        withGrantOption: true,
    },
    "command:remote:Command": { triggers: true },
    "pulumi-nodejs:dynamic:Resource": { slot: true, target: true },
};

/** Types whose every input change replaces the resource. */
const ALWAYS_REPLACED = new Set(["random:index/randomPassword:RandomPassword"]);

/**
 * Resource options whose change replaces the resource: a new parent is a new URN, which the
 * engine treats as a delete and a create unless an alias links the two.
 */
const REPLACING_OPTIONS = new Set(["opts.parent"]);

/**
 * Of the keys whose values differ (inputs, then `opts.<name>`), those that force `type` to be
 * replaced, in the given order.
 */
export function replacingKeys(
    type: string,
    changed: readonly string[],
    before: Readonly<Record<string, unknown>>,
    after: Readonly<Record<string, unknown>>,
): string[] {
    const table = FORCE_NEW[type] ?? {};
    return changed.filter((key) => {
        if (REPLACING_OPTIONS.has(key)) return true;
        if (key.startsWith("opts.")) return false;
        if (ALWAYS_REPLACED.has(type)) return true;
        const rule = table[key];
        if (rule === undefined) return false;
        return rule === true || rule(before[key], after[key]);
    });
}

/** Whether changing input `key` of `type` could replace the resource (for marking it in `npm run plan`). */
export function forcesReplacement(type: string, key: string): boolean {
    return ALWAYS_REPLACED.has(type) || Object.hasOwn(FORCE_NEW[type] ?? {}, key);
}
