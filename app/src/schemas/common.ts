import { Type } from '@sinclair/typebox';

export const ErrorResponse = Type.Object({
  detail: Type.Unknown({ description: 'Human-readable message; for 422 a list of {loc, msg, type}.' }),
  code: Type.String({ description: 'Stable machine-readable error code.' }),
});

export const MessageResponse = Type.Object({ message: Type.String() });

/** Error responses every authenticated route may give; listed so the OpenAPI document is honest. */
export const authErrorResponses = { 401: ErrorResponse, 422: ErrorResponse } as const;
