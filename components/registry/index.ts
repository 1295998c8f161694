export * from "./schema";
export * from "./provider";
export * from "./slotRegistryRow";
export * from "./slotRegistry";
