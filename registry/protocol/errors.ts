// A request the registry refuses, with the RFC 6120 §8.3.3 condition to answer with.
export type RegistryCondition =
  | "bad-request"
  | "forbidden"
  | "item-not-found"
  | "not-allowed"
  | "resource-constraint"
  | "service-unavailable"
  | "feature-not-implemented"
  | "internal-server-error";

export type RegistryErrorType = "cancel" | "modify" | "wait" | "auth";

export class RegistryError extends Error {
  override name = "RegistryError";
  readonly type: RegistryErrorType;
  constructor(
    readonly condition: RegistryCondition,
    message: string,
    type?: RegistryErrorType,
  ) {
    super(message);
    this.type = type ?? (condition === "bad-request" ? "modify" : condition === "resource-constraint" ? "wait" : "cancel");
  }
}
