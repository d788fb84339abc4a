import { Type, type Static, type TString, type TInteger, type TNumber } from '@sinclair/typebox';

export const ErrorResponse = Type.Object({
  detail: Type.Unknown({
    description:
      'Human-readable message; for a 422 from the input schema a list of {loc, msg, type}, for a rule (the password policy) a sentence.',
  }),
  code: Type.String({ description: 'Stable machine-readable error code.' }),
  errors: Type.Optional(Type.Array(Type.Unknown(), { description: "With a rule's 422: the fields, as {loc, msg, type}." })),
});

export const MessageResponse = Type.Object({ message: Type.String() });

/** Error responses every authenticated route may give; listed so the OpenAPI document is honest. */
export const authErrorResponses = { 401: ErrorResponse, 422: ErrorResponse } as const;

/**
 * `T | null` as `type: [T, "null"]`. TypeBox's Union emits anyOf, which makes the response
 * serializer run a validator per value to pick a branch: measurably slow on 1,000-entry listings.
 */
export function Nullable<T extends TString | TInteger | TNumber>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}
