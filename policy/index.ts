// The staging stack's policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`) run it
// inside the engine. The policies live in policies.ts, where tests reach them without starting
// the pack's server.

import { PolicyPack } from "@pulumi/policy";

import { policies } from "./policies";

new PolicyPack("staging-slots", { policies });
