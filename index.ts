// Entry point of the Pulumi program; everything lives in components/.
import { stagingSlots } from "./components";

const stack = stagingSlots();

export const ipAddress = stack.ipAddress;
export const slots = stack.slots;
export const layoutTable = stack.layoutTable;
export const registryTable = stack.registryTable;
