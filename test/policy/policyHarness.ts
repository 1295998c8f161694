// Runs the pack's policies the way the engine's analyzer calls them, without constructing the
// PolicyPack (its constructor starts a gRPC server): resources from the real program's offline
// evaluation become the arguments CrossGuard passes, and every reported violation is collected.

import type {
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";

import { RecordedResource } from "../../offline/recorder";

/** What a test resource needs; the rest of CrossGuard's argument bag is filled in. */
export interface TestResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: Record<string, unknown>;
    readonly protect: boolean;
}

/** The program's custom resources as policy inputs (secrets unwrapped, as CrossGuard hands them over). */
export function fromEvaluation(resources: readonly RecordedResource[]): TestResource[] {
    return resources
        .filter((r) => r.custom)
        .map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: structuredClone(r.inputs) as Record<string, unknown>, protect: r.protect }));
}

function options(r: TestResource): PolicyResourceOptions {
    return {
        protect: r.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
    };
}

function notApplicable(reason?: string): never {
    throw new Error(`policy marked itself not applicable: ${reason ?? ""}`);
}

function policyResource(r: TestResource): PolicyResource {
    return {
        type: r.type,
        props: r.props,
        urn: r.urn,
        name: r.name,
        opts: options(r),
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    };
}

/** Violations one resource policy reports over every resource, as `name: message`. */
export async function runResourcePolicy(policy: ResourceValidationPolicy, resources: readonly TestResource[]): Promise<string[]> {
    const out: string[] = [];
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const r of resources) {
        const args: ResourceValidationArgs = {
            type: r.type,
            props: r.props,
            urn: r.urn,
            name: r.name,
            opts: options(r),
            isType: () => false,
            asType: () => undefined,
            stackTags: new Map(),
            getConfig: <T extends object>() => ({}) as T,
            notApplicable,
        };
        for (const validate of validations) await validate(args, (message) => out.push(`${r.name}: ${message}`));
    }
    return out;
}

/** Violations a stack policy reports over the resources. */
export async function runStackPolicy(policy: StackValidationPolicy, resources: readonly TestResource[]): Promise<string[]> {
    const out: string[] = [];
    await policy.validateStack(
        { resources: resources.map(policyResource), stackTags: new Map(), getConfig: <T extends object>() => ({}) as T, notApplicable },
        (message, urn) => out.push(urn ? `${urn.split("::").pop() as string}: ${message}` : message),
    );
    return out;
}
