import * as path from "node:path";

import * as digitalocean from "@pulumi/digitalocean";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

import { ImageSettings, checkoutPath, imagePin, imageRepository, imageResourceName, registryAuth } from "./images";

export interface AppImagesArgs {
    /** The services to build and the registry (validated `images` and `registry`). */
    readonly images: ImageSettings;
    /** The claimed commits, each built once; sorted. */
    readonly commits: readonly string[];
    /** Region of a registry created here. */
    readonly region: string;
}

/**
 * The app's images, built once per claimed commit where `pulumi up` runs and pushed to a
 * DigitalOcean container registry; slots pull them by digest. An image's name carries its service
 * and commit (`image-<service>-<commit>`), so slots on one commit share it, a re-point creates the
 * new commit's image, and no claim edit touches another commit's image.
 */
export class AppImages extends pulumi.ComponentResource {
    /** commit → the `<service>=<repository>@sha256:…` pins a deployment of that commit receives. */
    public readonly pins: ReadonlyMap<string, pulumi.Output<string[]>>;
    /** A Docker config JSON with read-only credentials, for the droplets; secret. */
    public readonly pullConfig: pulumi.Output<string>;

    constructor(name: string, args: AppImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jobsearch:staging:AppImages", name, {}, opts);
        const { registry, services } = args.images;

        const registryName = registry.create
            ? new digitalocean.ContainerRegistry(
                  `${name}-registry`,
                  // basic: the starter tier holds a single repository, and each service is one.
                  { name: registry.name, subscriptionTierSlug: "basic", region: args.region },
                  { parent: this },
              ).name
            : pulumi.output(registry.name);
        // Two tokens: pushing needs write access where `pulumi up` runs; a droplet only pulls.
        const push = new digitalocean.ContainerRegistryDockerCredentials(`${name}-push`, { registryName, write: true }, { parent: this });
        const pull = new digitalocean.ContainerRegistryDockerCredentials(`${name}-pull`, { registryName, write: false }, { parent: this });
        const pushAuth = pulumi.secret(push.dockerCredentials.apply((json) => registryAuth(json, registry.server)));
        this.pullConfig = pulumi.secret(pull.dockerCredentials);

        const pins = new Map<string, pulumi.Output<string[]>>();
        for (const commit of args.commits) {
            const digests = services.map((s) => {
                const repository = imageRepository(registry, s.service);
                const image = new docker.Image(
                    imageResourceName(s.service, commit),
                    {
                        imageName: `${repository}:${commit}`,
                        // Relative to the project root, where `pulumi up` runs and `slots fetch`
                        // put the checkout: no machine's own path ends up in the inputs.
                        build: {
                            context: path.posix.join(checkoutPath(commit), s.context),
                            dockerfile: path.posix.join(checkoutPath(commit), s.dockerfile),
                            ...(s.target ? { target: s.target } : {}),
                            // Inline cache metadata lets the next commit's build reuse unchanged
                            // layers from the `buildcache` tag the deploy workflow keeps current.
                            // APP_COMMIT as the app's compose file passes it to a build on the
                            // droplet (examples/app): the commit the image is of.
                            args: { ...s.args, APP_COMMIT: commit, BUILDKIT_INLINE_CACHE: "1" },
                            cacheFrom: { images: [`${repository}:buildcache`] },
                            platform: "linux/amd64",
                        },
                        registry: pushAuth,
                    },
                    { parent: this },
                );
                return image.repoDigest.apply((digest) => imagePin(s.service, digest));
            });
            pins.set(commit, pulumi.all(digests));
        }
        this.pins = pins;
        this.registerOutputs({});
    }
}
